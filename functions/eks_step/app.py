"""The EKS steps of the provision and teardown workflows (cluster, access entry, node group, add-ons,
Container Insights log groups): one action per invocation, named by the event."""

from typing import Any

from batch_on_eks.environments.eks_steps import eks_step
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.thread_safe_append_keys(
        action=event.get("action"), environment=(event.get("config") or {}).get("name")
    )
    return eks_step(event, load_settings(), load_provisioning_settings())
