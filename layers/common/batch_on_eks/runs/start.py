"""Starting a run: a run-job execution whose name is the run's id, for a request through the API or for an
event (a client's "Run Job Requested" event, or a tick of the stack's schedule).

EventBridge delivers at least once, and its Step Functions target cannot name the execution; so an event's
run is named after the event's id, and a redelivered event (same id) finds its execution already there and
starts nothing. The execution's name is also the run's id (the runs table's key and the ``runId`` of the
"Run Finished" event), so a client that put the event knows its run: ``event-<EventId>``.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.models.control_plane_events import RUN_REQUEST_DETAIL_TYPE, SCHEDULED_DETAIL_TYPE
from batch_on_eks.models.run_input import RunJobInput
from batch_on_eks.models.run_request import RunRequestEvent
from batch_on_eks.observability import about_run
from batch_on_eks.runs.target import find_target
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin, execution_name
from batch_on_eks.workflows.starts import Accepted, earlier_execution, start_once

NAME_PREFIXES = {RUN_REQUEST_DETAIL_TYPE: "event-", SCHEDULED_DETAIL_TYPE: "schedule-"}


def start_run(
    raw_input: dict[str, Any], origin: RequestOrigin, settings: Settings, workflows: Workflows
) -> Accepted:
    """Start a run-job execution (its name is the run id) on a READY environment, for an API request.

    EnvironmentNotFound for an environment never provisioned, EnvironmentNotReady for one that is not
    READY, InvalidInput for a queue that is not the environment's. What needs Batch (does the job
    definition exist?) is the workflow's Validate step's to check: the run then fails InvalidInput.
    """
    run_input = RunJobInput.parse(raw_input)
    run_id = origin.execution_name("run")
    about_run(run_id)
    if origin.idempotency_key is not None:
        earlier = earlier_execution(workflows.run_job, run_id, raw_input)
        if earlier is not None:
            return Accepted(run_id, earlier, started=False)
    find_target(run_input, settings.resource_prefix, EnvironmentStore(settings.environments_table))
    arn, started = start_once(workflows.run_job, run_id, raw_input)
    return Accepted(run_id, arn, started)


def start_requested_run(event: RunRequestEvent, workflows: Workflows) -> dict[str, Any]:
    """Start the run the event asks for, named after the event; ``outcome`` says whether it was new."""
    prefix = NAME_PREFIXES.get(event.detail_type)
    if prefix is None:
        return {"outcome": "ignored", "reason": f"not a run request: detail-type {event.detail_type!r}"}
    name = execution_name(prefix, event.id)
    about_run(name)
    started = executions.start(workflows.run_job, name, event.detail)
    return {
        "outcome": "started" if started.new else "duplicate",
        "runId": name,
        "executionArn": started.execution_arn,
    }
