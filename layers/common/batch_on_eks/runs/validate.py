"""The Validate step: check the input and the environment, and record the run."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.clock import now_ms
from batch_on_eks.errors import EnvironmentNotReady, InvalidInput
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.models.run import Run
from batch_on_eks.models.run_input import RunJobInput, validation_errors
from batch_on_eks.settings import Settings

# When the job sets no per-attempt timeout, the run still ends some day: this much after it could start.
DEFAULT_RUN_SECONDS = 7 * 86400
ON_DEMAND = "onDemand"


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
    if environment.status is not EnvironmentStatus.READY or environment.cluster_arn is None:
        raise EnvironmentNotReady(f"environment {name!r} is {environment.status.value}, not READY")

    job_definition = run_input.default_job_definition(environment.name)
    definition = batch.active_job_definition(job_definition)
    if definition is None:
        raise InvalidInput.field("jobDefinition", f"no ACTIVE job definition {job_definition!r}")
    if not definition.get("eksProperties"):
        raise InvalidInput.field(
            "jobDefinition",
            f"{job_definition!r} has no eksProperties: EKS queues run only job definitions made for EKS",
        )
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
