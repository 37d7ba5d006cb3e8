"""Starting a run through the API: a run-job execution whose name is the run's id, on a READY environment
(an event's run starts in :mod:`.requested`)."""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.models.run_input_reader import read_run_input
from batch_on_eks.observability import about_run
from batch_on_eks.runs.target import find_target
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin
from batch_on_eks.workflows.starts import Accepted, earlier_execution, start_once


def start_run(
    raw_input: dict[str, Any], origin: RequestOrigin, settings: Settings, workflows: Workflows
) -> Accepted:
    """Start a run-job execution (its name is the run id) on a READY environment, for an API request.

    EnvironmentNotFound for an environment never provisioned, EnvironmentNotReady for one that is not
    READY, InvalidInput for a queue that is not the environment's. What needs Batch (does the job
    definition exist?) is the workflow's Validate step's to check: the run then fails InvalidInput.
    """
    run_input = read_run_input(raw_input)
    run_id = origin.execution_name("run")
    about_run(run_id)
    if origin.idempotency_key is not None:
        earlier = earlier_execution(workflows.run_job, run_id, raw_input)
        if earlier is not None:
            return Accepted(run_id, earlier, started=False)
    find_target(run_input, settings.resource_prefix, EnvironmentStore(settings.environments_table))
    arn, started = start_once(workflows.run_job, run_id, raw_input)
    return Accepted(run_id, arn, started)
