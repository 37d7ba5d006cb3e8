"""The run-job workflow's steps: validate, submit-and-wait, reconcile, result, abort guard.

The state machine holds the control flow (DESIGN.md "Run a job"); each function here is one step. The
wait itself is event-driven (:mod:`batch_on_eks.logic.job_events`): whoever learns that the job has
ended, that module or this one, ends the waiting task with the current token.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from batch_on_eks import log_links as links
from batch_on_eks.adapters import batch, callbacks, logs
from batch_on_eks.adapters.environments import EnvironmentStore
from batch_on_eks.adapters.runs import RunStore
from batch_on_eks.errors import EnvironmentNotReady, InvalidInput, cause
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run
from batch_on_eks.models.run_input import RunJobInput, validation_errors
from batch_on_eks.settings import Settings

# When the job sets no per-attempt timeout, the run still ends some day: this much after it could start.
DEFAULT_RUN_SECONDS = 7 * 86400
ON_DEMAND = "onDemand"


def now_ms() -> int:
    return int(time.time() * 1000)


def unique_job_name(job_name: str, run_id: str) -> str:
    """The job's Batch name: the asked-for name plus a suffix unique to the run (at most 128 characters),
    so that a retried submit can find the job an earlier try made."""
    suffix = hashlib.sha256(run_id.encode()).hexdigest()[:8]
    return f"{job_name[: 128 - 9]}_{suffix}"


def _environment_name(run_input: RunJobInput) -> str:
    if run_input.environment is not None:
        return run_input.environment
    assert run_input.job_queue is not None  # the model requires one of them
    queue_name = run_input.job_queue.rsplit("/", 1)[-1]
    return queue_name.rsplit("-", 1)[0]  # queues are named <environment>-JQ1_OD / -JQ1_SPOT


def validate(run_id: str, raw_input: Any, settings: Settings) -> dict[str, Any]:
    """Check the input and the environment, and record the run. Raises InvalidInput/EnvironmentNotReady."""
    try:
        run_input = RunJobInput.model_validate(raw_input)
    except ValidationError as error:
        raise InvalidInput(validation_errors(error)) from None
    name = _environment_name(run_input)
    named_field = "environment" if run_input.environment is not None else "jobQueue"
    if not name.startswith(f"{settings.resource_prefix}-"):
        raise InvalidInput.field(
            named_field,
            f"environments of this control plane start with "
            f"'{settings.resource_prefix}-' ({name!r} does not)",
        )
    environment = EnvironmentStore(settings.environments_table).get(name)
    if environment is None:
        rule = (
            f"no environment named {name!r}"
            if named_field == "environment"
            else ("not a job queue of a registered environment (its events would never reach us)")
        )
        raise InvalidInput.field(named_field, rule)
    if run_input.job_queue is not None:
        queue_arn = environment.queue_arn(run_input.job_queue)
        if queue_arn is None:
            raise InvalidInput.field("jobQueue", f"not a job queue of environment {name!r}")
    else:
        queue_arn = environment.job_queues.get(ON_DEMAND) or next(iter(environment.job_queues.values()), None)
        if queue_arn is None:
            raise EnvironmentNotReady(f"environment {name!r} has no job queue")
    if environment.status is not EnvironmentStatus.READY:
        raise EnvironmentNotReady(f"environment {name!r} is {environment.status.value}, not READY")

    job_definition = run_input.default_job_definition(environment.name)
    job_name = unique_job_name(run_input.job_name, run_id)
    request = run_input.submit_request(queue_arn, job_definition, run_id)
    request["jobName"] = job_name
    attempts = run_input.retry_attempts or 1
    running = run_input.timeout_seconds * attempts if run_input.timeout_seconds else DEFAULT_RUN_SECONDS
    started = now_ms()
    run = RunStore(settings.runs_table, settings.finished_run_ttl_seconds).create(
        Run(
            run_id=run_id,
            environment=environment.name,
            cluster_name=environment.cluster_arn.rsplit("/", 1)[-1],
            namespace=environment.namespace,
            queue_arn=queue_arn,
            job_definition=job_definition,
            job_name=job_name,
            container_name=run_input.container_name,
            submit_request=request,
            created_at=started,
            deadline=started // 1000
            + run_input.runnable_timeout_seconds
            + running
            + run_input.heartbeat_seconds,
            runnable_limit_seconds=run_input.runnable_timeout_seconds,
            heartbeat_seconds=run_input.heartbeat_seconds,
        )
    )
    return {
        "runId": run.run_id,
        "environment": run.environment,
        "jobName": run.job_name,
        "heartbeatSeconds": run.heartbeat_seconds,
    }


def _task_output(run: Run) -> str:
    return json.dumps(
        {"runId": run.run_id, "jobId": run.job_id, "status": run.job_status.value if run.job_status else None}
    )


def finish_if_done(run: Run) -> None:
    """End the waiting task when the job has ended (a stale token is fine: the run moved on)."""
    if run.is_finished and run.task_token:
        callbacks.succeed(run.task_token, _task_output(run))


def submit_and_wait(run_id: str, token: str, settings: Settings) -> None:
    """Store the new token; submit the job unless the run has one; catch up on events already received."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    store.set_token(run_id, token)
    run = store.get(run_id)
    if run is None:
        raise InvalidInput.field("runId", f"no run {run_id!r} (the Validate step records it)")
    job_id = run.job_id
    if job_id is None:
        job = None if store.claim_submission(run_id) else batch.find_job_by_name(run.queue_arn, run.job_name)
        if job is None:
            job = batch.submit_job(run.submit_request)
        job_id = job[0]
        store.record_job(run_id, job_id, job[1])
    for detail, event_id, at in store.early_events(job_id):
        store.apply(run_id, detail, event_id, at, "event")
    current = store.get(run_id)
    if current is not None:
        finish_if_done(current)


def reconcile(run_id: str, settings: Settings) -> dict[str, Any]:
    """No news for a heartbeat period: ask DescribeJobs. Ends the run if the job has ended, terminates the
    job when the run's deadline or the RUNNABLE limit has passed, and otherwise says to wait again."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    run = store.get(run_id)
    if run is None:
        raise InvalidInput.field("runId", f"no run {run_id!r}")
    if run.job_id is not None:
        detail = batch.describe_job(run.job_id)
        if detail is not None:
            report = f"describe:{detail.status.value}:{detail.finished_attempts}"
            run = store.apply(run_id, detail, report, now_ms(), "describe") or run
    if run.is_finished:
        return {"outcome": "finished"}
    now = time.time()
    if now > run.deadline:
        return _end(run, "JobTimedOut", f"the run's deadline passed ({_iso(run.deadline * 1000)})")
    if (
        run.job_status is JobStatus.RUNNABLE
        and run.runnable_since is not None
        and now * 1000 - run.runnable_since > run.runnable_limit_seconds * 1000
    ):
        return _end(run, "JobStuckRunnable", f"RUNNABLE for more than {run.runnable_limit_seconds} s")
    return {"outcome": "wait"}


def _end(run: Run, error: str, why: str) -> dict[str, Any]:
    reason = f"{error}: {why}"
    if run.job_id is not None:
        batch.terminate_job(run.job_id, reason[:1024])
    return {
        "outcome": "ended",
        "error": error,
        "cause": cause(
            message=reason,
            jobId=run.job_id,
            statusReason=run.status_reason or None,
            lastStatus=run.job_status.value if run.job_status else None,
        ),
    }


def _iso(epoch_ms: int) -> str:
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _container_name(run: Run, detail: BatchJobDetail) -> str | None:
    if run.container_name:
        return run.container_name
    pod = detail.pod_properties
    return pod.containers[0].name if pod is not None and pod.containers else None


def _links(run: Run, detail: BatchJobDetail, region: str) -> dict[str, Any] | None:
    pod = detail.current_pod()
    container = _container_name(run, detail)
    if pod is None or pod.node_name is None or container is None:
        return None
    namespace = pod.namespace or run.namespace
    prefix = links.stream_prefix(pod.node_name, pod.pod_name, namespace, container)
    group = links.application_log_group(run.cluster_name)
    stream = next(
        (s for s in logs.streams_with_prefix(group, prefix) if links.container_id_of(s, prefix)), None
    )
    found = links.log_links(
        region, run.cluster_name, namespace, pod.pod_name, pod.node_name, container, stream
    )
    return found.to_dict()


def result(run_id: str, settings: Settings) -> dict[str, Any]:
    """The run's outcome, with the pod, the node and the log links; ``error``/``cause`` when it failed."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    run = store.get(run_id)
    if run is None or run.last_detail is None:
        raise InvalidInput.field("runId", f"no finished run {run_id!r}")
    detail = BatchJobDetail.model_validate(run.last_detail)
    container = _container_name(run, detail)
    if detail.needs_describe(container) and run.job_id is not None:
        detail = batch.describe_job(run.job_id) or detail
    pod = detail.current_pod()
    output: dict[str, Any] = {
        "runId": run.run_id,
        "environment": run.environment,
        "jobId": run.job_id,
        "jobName": run.job_name,
        "status": detail.status.value,
        "statusReason": detail.status_reason,
        "exitCode": detail.exit_code(container),
        "containerReason": detail.container_reason(container),
        "podName": pod.pod_name if pod else None,
        "nodeName": pod.node_name if pod else None,
        "namespace": (pod.namespace if pod else None) or run.namespace,
        "attempts": detail.finished_attempts,
        "timeline": [
            {"status": e.status.value, "at": _iso(e.at), "attempt": e.attempt, "source": e.source}
            for e in sorted(run.timeline, key=lambda e: e.at)
        ],
        "logLinks": _links(run, detail, settings.aws_region),
    }
    if detail.is_array_parent and detail.array_properties is not None:
        output["arrayProperties"] = detail.array_properties.model_dump(by_alias=True, exclude_none=True)
        output["childEvents"] = run.child_events
    if detail.status is JobStatus.SUCCEEDED:
        return output
    ran = any(e.status is JobStatus.RUNNING for e in run.timeline)
    error = (
        "JobCancelled"
        if run.cancel_requested or (output["exitCode"] is None and not ran)
        else "BatchJobFailed"
    )
    output["error"] = error
    output["cause"] = cause(
        statusReason=detail.status_reason,
        exitCode=output["exitCode"],
        reason=output["containerReason"],
        jobId=run.job_id,
        podName=output["podName"],
        logLinks=output["logLinks"],
        cancelled=run.cancel_requested,
    )
    return output


def abort(execution_name: str, execution_status: str, settings: Settings) -> str:
    """The run's execution stopped, timed out or failed: terminate its job if it is still active."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    run = store.get(execution_name)
    if run is None:
        return "no such run"
    job_id = run.job_id
    if job_id is None and run.submit_claimed_at is not None:
        found = batch.find_job_by_name(run.queue_arn, run.job_name)
        job_id = found[0] if found else None
    if job_id is None:
        return "no job was submitted"
    detail = batch.describe_job(job_id)
    if detail is None or detail.status.is_terminal:
        return "the job had already ended"
    reason = f"Cancelled: the run's execution {execution_name} ended {execution_status}"
    store.request_cancel(run.run_id, reason)
    batch.terminate_job(job_id, reason)
    return "terminated the job"
