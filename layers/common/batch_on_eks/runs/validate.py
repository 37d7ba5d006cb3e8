"""The Validate step: check the input and the environment, and record the run."""

from __future__ import annotations

import hashlib
from typing import Any

from batch_on_eks.aws import batch_resources
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import now_ms
from batch_on_eks.errors import EnvironmentNotFound, InvalidInput
from batch_on_eks.models.run import Run
from batch_on_eks.models.run_input_reader import read_run_input
from batch_on_eks.observability import emit
from batch_on_eks.runs.run_metrics import queue_name
from batch_on_eks.runs.target import find_target
from batch_on_eks.settings import Settings

# When the job sets no per-attempt timeout, the run still ends some day: this much after it could start.
DEFAULT_RUN_SECONDS = 7 * 86400
# Step Functions' largest TimeoutSeconds (Amazon States Language, Task state).
MAX_WAIT_SECONDS = 99_999_999


def wait_seconds(deadline: int, started_s: int, reconcile_period_seconds: int) -> int:
    """The waiting task's own time-out: the run's deadline, plus two reconciler periods in which the
    reconciler ends the run itself (terminating its job, with the run's Cause). Only a reconciler that has
    stopped running lets it lapse: the execution then fails ``States.Timeout`` and the abort guard
    terminates the job."""
    return max(1, min(MAX_WAIT_SECONDS, deadline - started_s + 2 * reconcile_period_seconds))


def unique_job_name(job_name: str, run_id: str) -> str:
    """The job's Batch name: the asked-for name plus a suffix unique to the run (at most 128 characters),
    so that a retried submit can find the job an earlier try made."""
    suffix = hashlib.sha256(run_id.encode()).hexdigest()[:8]
    return f"{job_name[: 128 - 9]}_{suffix}"


def validate_run(run_id: str, raw_input: Any, settings: Settings) -> dict[str, Any]:
    """Check the input and the environment, and record the run. Raises InvalidInput/EnvironmentNotReady."""
    run_input = read_run_input(raw_input)
    try:
        target = find_target(
            run_input, settings.resource_prefix, EnvironmentStore(settings.environments_table)
        )
    except EnvironmentNotFound as unknown:
        # In the workflow, naming an environment that is not there is a bad input like any other.
        raise InvalidInput.field(unknown.field or "environment", unknown.message) from None
    environment, queue_arn = target.environment, target.queue_arn

    job_definition = run_input.default_job_definition(environment.name)
    definition = batch_resources.active_job_definition(job_definition)
    if definition is None:
        raise InvalidInput.field("jobDefinition", f"no ACTIVE job definition {job_definition!r}")
    if not definition.eks_properties:
        raise InvalidInput.field(
            "jobDefinition",
            f"{job_definition!r} has no eksProperties: EKS queues run only job definitions made for EKS",
        )
    job_name = unique_job_name(run_input.job_name, run_id)
    request = run_input.submit_request(queue_arn, job_definition, run_id)
    request["jobName"] = job_name
    attempts = run_input.retry_attempts or 1
    running = run_input.timeout_seconds * attempts if run_input.timeout_seconds else DEFAULT_RUN_SECONDS
    heartbeat = run_input.heartbeat_seconds or settings.reconcile_period_seconds
    started = now_ms()
    run = RunStore(settings.runs_table, settings.finished_run_ttl_seconds).create(
        Run(
            run_id=run_id,
            environment=environment.name,
            cluster_name=target.cluster_arn.rsplit("/", 1)[-1],
            namespace=target.namespace,
            queue_arn=queue_arn,
            job_definition=job_definition,
            job_name=job_name,
            container_name=run_input.container_name,
            array_size=run_input.array_size,
            submit_request=request,
            created_at=started,
            deadline=started // 1000 + run_input.runnable_timeout_seconds + running + heartbeat,
            runnable_limit_seconds=run_input.runnable_timeout_seconds,
            heartbeat_seconds=heartbeat,
        )
    )
    emit("RunsStarted", 1, environment=run.environment, queue=queue_name(run.queue_arn))
    return {
        "runId": run.run_id,
        "environment": run.environment,
        "jobName": run.job_name,
        "waitSeconds": wait_seconds(run.deadline, run.created_at // 1000, settings.reconcile_period_seconds),
    }
