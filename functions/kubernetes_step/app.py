"""The Kubernetes steps of the provision and teardown workflows: the Batch namespace, its RBAC and the
aws-auth mappings, applied and removed through the cluster's API. One action per invocation."""

from typing import Any

from batch_on_eks.environments.kubernetes_steps import kubernetes_step
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.thread_safe_append_keys(
        action=event.get("action"), environment=(event.get("config") or {}).get("name")
    )
    return kubernetes_step(event, load_settings(), load_provisioning_settings())
