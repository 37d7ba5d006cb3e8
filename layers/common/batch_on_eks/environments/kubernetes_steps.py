"""The Kubernetes step of provisioning and its undoing in teardown: the Batch namespace, RBAC and aws-auth,
written through the cluster's own API with an EKS token. What was written is kept on the environment
(``resources.kubernetes``) so that teardown removes exactly it.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import eks as eks_cluster
from batch_on_eks.aws import kubernetes
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.batch_access import grant_batch_access, revoke_batch_access
from batch_on_eks.environments.steps import Step, StepEvent, StepResult, run_step
from batch_on_eks.settings import ProvisioningSettings, Settings


def kubernetes_step(
    event: dict[str, Any], settings: Settings, provisioning: ProvisioningSettings
) -> dict[str, Any]:
    """One Kubernetes action of the provision or teardown workflow, named by the event."""
    store = EnvironmentStore(settings.environments_table)
    return run_step(KubernetesSteps(provisioning, store).actions(), event, store)


class KubernetesSteps:
    def __init__(self, settings: ProvisioningSettings, store: EnvironmentStore):
        self.settings = settings
        self.store = store

    def actions(self) -> dict[str, Step]:
        return {"grantBatchAccess": self.grant_batch_access, "revokeBatchAccess": self.revoke_batch_access}

    def grant_batch_access(self, event: StepEvent) -> StepResult:
        config = event.config
        record = grant_batch_access(
            kubernetes.for_cluster(event.name),
            namespace=config["namespace"],
            account_id=config["account"],
            partition=config["partition"],
            batch_instance_role_arn=self.settings.batch_instance_role_arn,
        )
        return StepResult(
            resources={"kubernetes": record},
            timeline=f"namespace {config['namespace']}, RBAC for user aws-batch, aws-auth mappings",
        )

    def revoke_batch_access(self, event: StepEvent) -> StepResult:
        found = self.store.get(event.name)
        record = found.resources.get("kubernetes") if found else None
        if not record:
            return StepResult(timeline="nothing written to Kubernetes: nothing to remove")
        if eks_cluster.describe_cluster(event.name) is None:
            return StepResult(timeline="cluster gone: its Kubernetes objects went with it")
        revoke_batch_access(kubernetes.for_cluster(event.name), record)
        return StepResult(
            resources={"kubernetes": None}, timeline="Kubernetes objects and aws-auth entries removed"
        )
