"""A run's status as people read it (``GET /jobs/{id}``, ``GET /jobs``): what the runs table knows of its
job, and the execution's outcome once it has ended.

A run is a run-job execution whose name is the run's id; the runs table holds what is known of its job
(written by the workflow's steps and Batch's events), and the execution holds the outcome once it ends
(its output, or its Error and Cause). Reading a run puts the two together: the table alone while the job
runs, the execution's outcome over it once the run has ended.
"""

from __future__ import annotations

import json
from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.aws.array_children import ArrayChildrenStore
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.aws.executions import Execution
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import iso
from batch_on_eks.errors import EnvironmentNotFound, RunNotFound
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.page import Page
from batch_on_eks.models.run import Run
from batch_on_eks.runs import views
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows

# The fields a finished run's outcome (the Result step's output, or a failure's JSON Cause) reports
# better than the runs table: the exit code, the pod, and the log links with the stream found.
_OUTCOME_FIELDS = (
    "exitCode",
    "containerReason",
    "podName",
    "nodeName",
    "namespace",
    "statusReason",
    "logLinks",
)


def _cause_object(cause: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(cause or "")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def find_run(run_id: str, settings: Settings, workflows: Workflows) -> tuple[Run | None, Execution | None]:
    """The run's record and its execution (either may be missing, not both: RunNotFound)."""
    run = RunStore(settings.runs_table, settings.finished_run_ttl_seconds).get(run_id)
    execution = executions.describe(executions.execution_arn(workflows.run_job, run_id))
    if run is None and execution is None:
        raise RunNotFound(f"no run with id {run_id!r}", "id")
    return run, execution


def run_status(run_id: str, settings: Settings, workflows: Workflows) -> dict[str, Any]:
    """The run: the execution's status, the job's status, timeline, pod, node, exit code and log links;
    the outcome (``error`` and ``cause``) once it has ended. RunNotFound."""
    run, execution = find_run(run_id, settings, workflows)
    view: dict[str, Any] = {
        "runId": run_id,
        "executionArn": execution.arn if execution else executions.execution_arn(workflows.run_job, run_id),
        "executionStatus": execution.status if execution else None,
        "environment": None,
        "jobName": None,
        "jobId": None,
        "jobStatus": None,
        "statusReason": None,
        "exitCode": None,
        "containerReason": None,
        "podName": None,
        "nodeName": None,
        "namespace": None,
        "attempts": 0,
        "timeline": [],
        "logLinks": None,
        "error": None,
        "cause": None,
        "createdAt": None,
        "stoppedAt": None,
        "arrayChildren": None,
    }
    if execution is not None:
        asked = execution.input if isinstance(execution.input, dict) else {}
        # what was asked, as far as it is text (an execution started from the console may hold anything)
        view["environment"] = _text(asked.get("environment"))
        view["jobName"] = _text(asked.get("jobName"))
        view["createdAt"] = iso(execution.started_at) if execution.started_at else None
        view["stoppedAt"] = iso(execution.stopped_at) if execution.stopped_at else None
        view["error"] = execution.error
        view["cause"] = execution.cause
    if run is not None:
        view.update(views.known_of_the_job(run, settings.aws_region))
        if run.array_size and run.job_id is not None:
            children = ArrayChildrenStore(settings.runs_table, settings.finished_run_ttl_seconds)
            view["arrayChildren"] = children.summary(run.job_id, run.array_size).to_dict()
    if execution is not None:
        outcome = execution.output if isinstance(execution.output, dict) else _cause_object(execution.cause)
        view.update({key: outcome[key] for key in _OUTCOME_FIELDS if outcome.get(key) is not None})
    view["status"] = _status(view, execution)
    return view


def _status(view: dict[str, Any], execution: Execution | None) -> str:
    """One word for the run: the execution's status once it has ended; before that, the job's status
    (ACCEPTED before there is a job), and FINISHING once the job has ended but the run is still recording
    its outcome. So a client polls until SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""
    if execution is not None and execution.status != "RUNNING":
        return execution.status
    job_status = view["jobStatus"]
    if job_status is None:
        return "ACCEPTED"
    if execution is not None and JobStatus(job_status).is_terminal:
        return "FINISHING"
    return str(job_status)


def list_runs(
    environment: str, status: str | None, limit: int, next_token: str | None, settings: Settings
) -> Page[dict[str, Any]]:
    """A page of the environment's runs (those whose job is in ``status``, if given), grouped by the job's
    status, newest first within each. EnvironmentNotFound."""
    if EnvironmentStore(settings.environments_table).find(environment, settings.resource_prefix) is None:
        raise EnvironmentNotFound(f"no environment named {environment!r}", "environment")
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    page = store.page_of_environment(environment, JobStatus(status) if status else None, limit, next_token)
    runs = [
        {
            "runId": summary.run_id,
            "environment": summary.environment,
            "jobName": summary.job_name,
            "jobId": summary.job_id,
            "jobStatus": summary.job_status.value if summary.job_status else None,
            "createdAt": iso(summary.created_at) if summary.created_at is not None else None,
        }
        for summary in page.items
    ]
    return Page(runs, page.next_token)
