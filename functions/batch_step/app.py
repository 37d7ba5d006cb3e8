"""The Batch steps of the provision and teardown workflows (service-linked role, compute environments,
job queues, job definition): one action per invocation, named by the event."""

from typing import Any

from batch_on_eks.environments.batch_steps import batch_step
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.thread_safe_append_keys(
        action=event.get("action"), environment=(event.get("config") or {}).get("name")
    )
    return batch_step(event, load_settings(), load_provisioning_settings())
