"""The Kubernetes steps of the provision and teardown workflows: the Batch namespace, its RBAC and the
aws-auth mappings, applied and removed through the cluster's API. One action per invocation."""

from typing import Any

from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.kubernetes_steps import KubernetesSteps
from batch_on_eks.environments.steps import run_step
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(action=event.get("action"), environment=(event.get("config") or {}).get("name"))
    store = EnvironmentStore(load_settings().environments_table)
    return run_step(KubernetesSteps(load_provisioning_settings(), store).actions(), event, store)
