"""A run-job execution ended (succeeded, failed, timed out, or was stopped): tie up its loose ends.

Two things, in this order: a run that did not succeed must not leave its job running (the abort guard,
:mod:`batch_on_eks.runs.abort`), and everyone subscribed hears how the run ended through the control
plane's own "Run Finished" event on the default bus. Step Functions' "Execution Status Change" event is the
one trigger for both, so a run ended in any way (the console's Stop included) is announced exactly as it
ended. Delivery is at least once (the rule retries, Lambda retries): subscribers dedupe on ``runId``.

The event's fields come from the execution's own output (a success) or Cause (a named failure), which
carry the pod, the node, the exit code and the log links; what an ending without them lacks (a stop, a
timeout) comes from the run as the runs table has it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from batch_on_eks.aws import events, executions
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import iso
from batch_on_eks.models.control_plane_events import RUN_FINISHED_DETAIL_TYPE, RUN_FINISHED_SOURCE
from batch_on_eks.models.run import Run
from batch_on_eks.runs import views as run_views
from batch_on_eks.runs.abort import abort
from batch_on_eks.settings import Settings

# The run's outcome, from the execution's status and, for a failure, its named error.
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
TIMED_OUT = "TIMED_OUT"
ABORTED = "ABORTED"
# States.Timeout: the waiting task outlived the run's deadline (a backstop, should the reconciler not run).
_OUTCOME_OF_ERROR = {"JobCancelled": CANCELLED, "JobTimedOut": TIMED_OUT, "States.Timeout": TIMED_OUT}


@dataclass(frozen=True)
class ExecutionEnded:
    """The "Step Functions Execution Status Change" event's detail, as far as it is needed."""

    name: str  # the run's id
    execution_arn: str
    state_machine_arn: str | None
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    error: str | None
    cause: str | None
    output: str | None
    start_date: int | None  # epoch ms
    stop_date: int | None

    @classmethod
    def from_detail(cls, detail: dict[str, Any]) -> ExecutionEnded:
        def optional_int(key: str) -> int | None:
            value = detail.get(key)
            return int(value) if isinstance(value, int | float) else None

        return cls(
            name=str(detail["name"]),
            execution_arn=str(detail["executionArn"]),
            state_machine_arn=detail.get("stateMachineArn"),
            status=str(detail["status"]),
            error=detail.get("error"),
            cause=detail.get("cause"),
            output=detail.get("output"),
            start_date=optional_int("startDate"),
            stop_date=optional_int("stopDate"),
        )


def outcome_of(status: str, error: str | None) -> str:
    """SUCCEEDED, FAILED, CANCELLED (JobCancelled), TIMED_OUT (the run's deadline: JobTimedOut, or its
    waiting task's time-out, or the execution's own) or ABORTED (the execution was stopped)."""
    if status == "FAILED":
        return _OUTCOME_OF_ERROR.get(error or "", FAILED)
    return status if status in (SUCCEEDED, TIMED_OUT, ABORTED) else FAILED


def _json_object(text: str | None) -> dict[str, Any]:
    """An execution's output or Cause, when it is a JSON object (every named failure's Cause is)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_FIELDS = (
    "environment",
    "jobName",
    "jobId",
    "jobStatus",
    "statusReason",
    "exitCode",
    "podName",
    "nodeName",
    "namespace",
    "logLinks",
)


def completion_detail(ended: ExecutionEnded, run: Run | None, region: str) -> dict[str, Any]:
    """The "Run Finished" event's detail: the outcome, and what is known of the job, its pod and its logs."""
    reported = _json_object(ended.output) if ended.status == SUCCEEDED else _json_object(ended.cause)
    known = run_views.known_of_the_job(run, region) if run is not None else {}
    detail: dict[str, Any] = {
        "runId": ended.name,
        "executionArn": ended.execution_arn,
        "status": outcome_of(ended.status, ended.error),
        "executionStatus": ended.status,
        "error": ended.error,
        "cause": ended.cause if ended.status != SUCCEEDED else None,
    }
    for name in _FIELDS:
        value = reported.get(name)
        detail[name] = value if value is not None else known.get(name)
    if reported.get("status") and not detail.get("jobStatus"):
        detail["jobStatus"] = reported["status"]  # a success's output names the job's status "status"
    detail["startedAt"] = iso(ended.start_date) if ended.start_date else None
    detail["stoppedAt"] = iso(ended.stop_date) if ended.stop_date else None
    return detail


def _complete(ended: ExecutionEnded) -> ExecutionEnded:
    """The event leaves out an output or Cause that is too large; DescribeExecution still has it."""
    missing_output = ended.status == SUCCEEDED and ended.output is None
    missing_cause = ended.status == "FAILED" and ended.cause is None and ended.error is not None
    if not (missing_output or missing_cause):
        return ended
    state = executions.describe(ended.execution_arn)
    if state is None:
        return ended
    return replace(ended, output=state.output_text or ended.output, cause=state.cause or ended.cause)


def run_ended(detail: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Terminate the job of a run that did not succeed (if still active), then publish "Run Finished"."""
    ended = _complete(ExecutionEnded.from_detail(detail))
    if ended.status == SUCCEEDED:
        guard = "the run succeeded"
    else:
        guard = abort(ended.name, ended.status, ended.error, settings)
    run = RunStore(settings.runs_table, settings.finished_run_ttl_seconds).get(ended.name)
    event = completion_detail(ended, run, settings.aws_region)
    event_id = events.publish(RUN_FINISHED_SOURCE, RUN_FINISHED_DETAIL_TYPE, event, [ended.execution_arn])
    return {"outcome": guard, "status": event["status"], "publishedEventId": event_id}
