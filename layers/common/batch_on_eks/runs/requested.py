"""Starting the run an event asks for (a client's "Run Job Requested" event, or a tick of the stack's
schedule).

EventBridge delivers at least once, and its Step Functions target cannot name the execution; so an event's
run is named after the event's id, and a redelivered event (same id) finds its execution already there and
starts nothing. The execution's name is also the run's id (the runs table's key and the ``runId`` of the
"Run Finished" event), so a client that put the event knows its run: ``event-<EventId>``.

Apart from the API's :mod:`.start`: this is on every event-started run's path, and imports no pydantic (the
run's input is the Validate step's to check).
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.models.control_plane_events import RUN_REQUEST_DETAIL_TYPE, SCHEDULED_DETAIL_TYPE
from batch_on_eks.models.run_request import RunRequestEvent
from batch_on_eks.observability import about_run
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import execution_name

NAME_PREFIXES = {RUN_REQUEST_DETAIL_TYPE: "event-", SCHEDULED_DETAIL_TYPE: "schedule-"}


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
