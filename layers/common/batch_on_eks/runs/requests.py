"""Requests about job runs (the REST API's ``/jobs``): submit, list, read, cancel, and the log's last lines.

A run is a run-job execution whose name is the run's id; the runs table holds what is known of its job
(written by the workflow's steps and Batch's events), and the execution holds the outcome once it ends
(its output, or its Error and Cause). Reading a run puts the two together: the table alone while the job
runs, the execution's outcome over it once the run has ended.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws import executions, log_tail, page_tokens, record_pages
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.aws.executions import Execution
from batch_on_eks.aws.items import plain
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import iso
from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run
from batch_on_eks.models.run_input import RunJobInput, validation_errors
from batch_on_eks.request_errors import (
    EnvironmentNotFound,
    EnvironmentNotReady,
    RunFinished,
    RunNotFound,
)
from batch_on_eks.runs import log_links as links
from batch_on_eks.runs import views as run_views
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin
from batch_on_eks.workflows.starts import Accepted, earlier_execution, start_once

# A log line of Container Insights can be up to 256 KiB; a Lambda answer at most 6 MB. The lines handed
# back stop at this many bytes (the newest are kept), and ``truncated`` says so.
MAX_LOG_BYTES = 1024 * 1024
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


def _environment_name(run_input: RunJobInput) -> tuple[str, str]:
    """The environment a run asks for and the field that named it (its queue's name says it otherwise:
    queues are named ``<environment>-JQ1_<kind>``)."""
    if run_input.environment is not None:
        return run_input.environment, "environment"
    assert run_input.job_queue is not None  # the model requires one of the two
    return run_input.job_queue.rsplit("/", 1)[-1].rsplit("-", 1)[0], "jobQueue"


def _cause_object(cause: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(cause or "")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _log_line(message: str) -> str:
    """The line the container printed: Fluent Bit ships each as a JSON record whose ``log`` field it is."""
    try:
        record = json.loads(message)
    except ValueError:
        return message
    if isinstance(record, dict) and isinstance(record.get("log"), str):
        return str(record["log"]).rstrip("\n")
    return message


class JobRequests:
    def __init__(self, settings: Settings, workflows: Workflows):
        self.settings = settings
        self.workflows = workflows
        self.runs = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
        self.environments = EnvironmentStore(settings.environments_table)

    # -- submit ---------------------------------------------------------------------------------------------
    def submit(self, raw_input: dict[str, Any], origin: RequestOrigin) -> Accepted:
        """Start a run-job execution (its name is the run id) on a READY environment.

        EnvironmentNotFound for an environment never provisioned, EnvironmentNotReady for one that is not
        READY, InvalidInput for a queue that is not the environment's. What needs Batch (does the job
        definition exist?) is the workflow's Validate step's to check: the run then fails InvalidInput.
        """
        try:
            run_input = RunJobInput.model_validate(raw_input)
        except ValidationError as error:
            raise InvalidInput(validation_errors(error)) from None
        run_id = origin.execution_name("run")
        if origin.idempotency_key is not None:
            earlier = earlier_execution(self.workflows.run_job, run_id, raw_input)
            if earlier is not None:
                return Accepted(run_id, earlier, started=False)
        self._check_environment(run_input)
        arn, started = start_once(self.workflows.run_job, run_id, raw_input)
        return Accepted(run_id, arn, started)

    def _check_environment(self, run_input: RunJobInput) -> None:
        name, field = _environment_name(run_input)
        item = self._environment_item(name, field)
        queues = plain(item.get("jobQueues") or {})
        if run_input.job_queue is not None and not any(
            run_input.job_queue in (arn, arn.rsplit("/", 1)[-1]) for arn in queues.values()
        ):
            raise InvalidInput.field("jobQueue", f"not a job queue of environment {name!r}")
        status = item.get("status")
        if status != EnvironmentStatus.READY.value:
            raise EnvironmentNotReady(f"environment {name!r} is {status}, not READY", field)

    def _environment_item(self, name: str, field: str) -> dict[str, Any]:
        item = (
            self.environments.get_item(name) if name.startswith(f"{self.settings.resource_prefix}-") else None
        )
        if item is None:
            raise EnvironmentNotFound(f"no environment named {name!r}", field)
        return item

    # -- list -----------------------------------------------------------------------------------------------
    def list(
        self, environment: str, status: str | None, limit: int, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the environment's runs (those whose job is in ``status``, if given), grouped by the
        job's status, newest first within each; and the next page's token."""
        self._environment_item(environment, "environment")
        start_key = page_tokens.decode(
            next_token,
            {
                "runId": lambda _value: True,
                "environment": lambda value: value == environment,
                "statusCreatedAt": lambda value: status is None or value.startswith(f"{status}#"),
            },
        )
        items, last_key = record_pages.runs_of_environment(
            self.settings.runs_table, environment, status, limit, start_key
        )
        runs = [
            {
                "runId": item["runId"],
                "environment": item["environment"],
                "jobName": item.get("jobName"),
                "jobId": item.get("jobId"),
                "jobStatus": item.get("jobStatus"),
                "createdAt": iso(int(item["createdAt"])) if item.get("createdAt") is not None else None,
            }
            for item in items
            if item.get("kind", "run") == "run"
        ]
        return runs, page_tokens.encode(last_key)

    # -- read -----------------------------------------------------------------------------------------------
    def _find(self, run_id: str) -> tuple[Run | None, Execution | None]:
        run = self.runs.get(run_id)
        execution = executions.describe(executions.execution_arn(self.workflows.run_job, run_id))
        if run is None and execution is None:
            raise RunNotFound(f"no run with id {run_id!r}", "id")
        return run, execution

    def get(self, run_id: str) -> dict[str, Any]:
        """The run: the execution's status, the job's status, timeline, pod, node, exit code and log links;
        the outcome (``error`` and ``cause``) once it has ended. RunNotFound."""
        run, execution = self._find(run_id)
        view: dict[str, Any] = {
            "runId": run_id,
            "executionArn": execution.arn
            if execution
            else executions.execution_arn(self.workflows.run_job, run_id),
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
            view.update(run_views.known_of_the_job(run, self.settings.aws_region))
        if execution is not None:
            outcome = (
                execution.output if isinstance(execution.output, dict) else _cause_object(execution.cause)
            )
            view.update({key: outcome[key] for key in _OUTCOME_FIELDS if outcome.get(key) is not None})
        view["status"] = self._status(view, execution)
        return view

    @staticmethod
    def _status(view: dict[str, Any], execution: Execution | None) -> str:
        """One word for the run: the execution's status once it has ended; before that, the job's status
        (ACCEPTED before there is a job), and FINISHING once the job has ended but the run is still
        recording its outcome. So a client polls until SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""
        if execution is not None and execution.status != "RUNNING":
            return execution.status
        job_status = view["jobStatus"]
        if job_status is None:
            return "ACCEPTED"
        if execution is not None and JobStatus(job_status).is_terminal:
            return "FINISHING"
        return str(job_status)

    # -- cancel ---------------------------------------------------------------------------------------------
    def cancel(self, run_id: str, origin: RequestOrigin) -> Accepted:
        """Terminate the run's Batch job: the run then ends ``JobCancelled``. Before the job is known the
        execution is stopped instead (the abort guard then terminates a job that was being submitted).
        RunFinished when the run, or its job, has already ended."""
        run, execution = self._find(run_id)
        arn = execution.arn if execution else executions.execution_arn(self.workflows.run_job, run_id)
        if execution is not None and execution.status != "RUNNING":
            raise RunFinished(f"run {run_id!r} has already ended: its execution is {execution.status}", "id")
        if run is not None and run.is_finished:
            raise RunFinished(f"the job of run {run_id!r} has already ended {run.job_status}", "id")
        reason = f"Cancelled through the control plane's API by {origin.caller}"
        if run is None or run.job_id is None:
            if execution is None or not executions.stop(arn, "JobCancelled", reason):
                raise RunFinished(f"run {run_id!r} has already ended", "id")
            return Accepted(run_id, arn, started=False)
        self.runs.request_cancel(run_id, reason)
        batch.terminate_job(run.job_id, reason)
        return Accepted(run_id, arn, started=False)

    # -- logs -----------------------------------------------------------------------------------------------
    def log_lines(self, run_id: str, limit: int) -> dict[str, Any]:
        """The last ``limit`` lines of the run's application container (its current attempt), from
        CloudWatch Logs; none before its pod has started or before Fluent Bit has shipped any."""
        run, _execution = self._find(run_id)
        answer: dict[str, Any] = {
            "runId": run_id,
            "logGroup": None,
            "logStream": None,
            "lines": [],
            "truncated": False,
        }
        detail = BatchJobDetail.from_dict(run.last_detail) if run is not None and run.last_detail else None
        container = run_views.container_name(run, detail) if run is not None else None
        pod = detail.current_pod() if detail else None
        if run is None or pod is None or not pod.node_name or container is None:
            return answer
        group = links.application_log_group(run.cluster_name)
        stream = run_views.log_stream(run, pod, pod.node_name, container)
        answer["logGroup"] = group
        if stream is None:
            return answer
        answer["logStream"] = stream
        kept: list[dict[str, Any]] = []
        size = 0
        for at, message in reversed(log_tail.last_events(group, stream, limit)):
            line = _log_line(message)
            size += len(line.encode())
            if size > MAX_LOG_BYTES:
                answer["truncated"] = True
                break
            kept.append({"timestamp": at, "message": line})
        answer["lines"] = list(reversed(kept))
        return answer
