"""The Batch steps of the provision and teardown workflows (service-linked role, compute environments,
job queues, job definition): one action per invocation, named by the event."""

from typing import Any

from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.batch_steps import BatchSteps
from batch_on_eks.environments.steps import run_step
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(action=event.get("action"), environment=(event.get("config") or {}).get("name"))
    steps = BatchSteps(load_provisioning_settings()).actions()
    return run_step(steps, event, EnvironmentStore(load_settings().environments_table))
