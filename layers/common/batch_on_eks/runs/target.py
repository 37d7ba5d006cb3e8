"""Which environment and job queue a run asks for, and whether it can run there now: one rule for the
run-job workflow's Validate step and for the API, which checks before it starts the workflow."""

from __future__ import annotations

from dataclasses import dataclass

from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.errors import EnvironmentNotFound, EnvironmentNotReady, InvalidInput
from batch_on_eks.models.environment import Environment, EnvironmentStatus
from batch_on_eks.models.run_input_reader import RunInput

ON_DEMAND = "onDemand"


@dataclass(frozen=True)
class Target:
    environment: Environment
    queue_arn: str
    cluster_arn: str
    namespace: str  # the Batch namespace: where the job's pod runs


def environment_name(run_input: RunInput) -> tuple[str, str]:
    """The environment a run asks for and the field that names it (a queue's name says it otherwise:
    queues are named ``<environment>-JQ1_<kind>``)."""
    if run_input.environment is not None:
        return run_input.environment, "environment"
    assert run_input.job_queue is not None  # the model requires one of the two
    return run_input.job_queue.rsplit("/", 1)[-1].rsplit("-", 1)[0], "jobQueue"


def find_target(run_input: RunInput, resource_prefix: str, store: EnvironmentStore) -> Target:
    """The run's environment and queue.

    EnvironmentNotFound (its ``field`` names the input field) for a name that is not one of this control
    plane's environments; InvalidInput for a queue that is not the environment's; EnvironmentNotReady for
    an environment that is not READY.
    """
    name, field = environment_name(run_input)
    if not name.startswith(f"{resource_prefix}-"):
        raise EnvironmentNotFound(
            f"environments of this control plane start with '{resource_prefix}-' ({name!r} does not)", field
        )
    environment = store.get(name)
    if environment is None:
        rule = (
            f"no environment named {name!r}"
            if field == "environment"
            else "not a job queue of a registered environment (its events would never reach us)"
        )
        raise EnvironmentNotFound(rule, field)
    if run_input.job_queue is not None:
        queue_arn = environment.queue_arn(run_input.job_queue)
        if queue_arn is None:
            raise InvalidInput.field("jobQueue", f"not a job queue of environment {name!r}")
    else:
        queues = environment.job_queues or {}
        queue_arn = queues.get(ON_DEMAND) or next(iter(queues.values()), None)
    ready = environment.status is EnvironmentStatus.READY
    if not ready or environment.cluster_arn is None or queue_arn is None or environment.namespace is None:
        raise EnvironmentNotReady(f"environment {name!r} is {environment.status.value}, not READY", field)
    return Target(environment, queue_arn, environment.cluster_arn, environment.namespace)
