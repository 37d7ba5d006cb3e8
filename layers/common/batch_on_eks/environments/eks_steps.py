"""The EKS steps of provisioning and teardown: the cluster, its admin access entries, the node group, and
the Container Insights log groups' removal (the add-ons are in :mod:`.addon_steps`). Each create is a
request; each check is one Describe in the workflow's wait loop. Teardown removes them in the order EKS
requires: add-ons, node group, cluster.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from batch_on_eks.aws import eks, logs
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.addon_steps import AddonSteps
from batch_on_eks.environments.removal import Deletable, check_removal, owned, start_removal
from batch_on_eks.environments.steps import Step, StepEvent, StepResult, check_result, run_step
from batch_on_eks.errors import ResourceFailed
from batch_on_eks.models.environment_input import AUTHENTICATION_MODES, AWS_AUTH
from batch_on_eks.models.environment_names import NODE_GROUP, environment_tags, log_group_prefix
from batch_on_eks.settings import ProvisioningSettings, Settings


def cluster_admins(settings: ProvisioningSettings, config: dict[str, Any]) -> list[str]:
    """The people given cluster admin: the stack's, then the input's, each once."""
    named = [*settings.cluster_admin_principal_arns, *(config.get("clusterAdminPrincipalArns") or [])]
    return list(dict.fromkeys(named))


def eks_step(event: dict[str, Any], settings: Settings, provisioning: ProvisioningSettings) -> dict[str, Any]:
    """One EKS action of the provision or teardown workflow, named by the event."""
    store = EnvironmentStore(settings.environments_table)
    return run_step(EksSteps(provisioning, store).actions(), event, store)


class EksSteps:
    def __init__(self, settings: ProvisioningSettings, store: EnvironmentStore):
        self.settings = settings
        self.store = store

    def actions(self) -> dict[str, Step]:
        return {
            **AddonSteps(self.settings, self.store).actions(),
            "createCluster": self.create_cluster,
            "checkCluster": self.check_cluster,
            "grantClusterAdmin": self.grant_cluster_admin,
            "createNodegroup": self.create_nodegroup,
            "checkNodegroup": self.check_nodegroup,
            "deleteNodegroup": self.delete_nodegroup,
            "checkNodegroupDeleted": self.check_nodegroup_deleted,
            "deleteCluster": self.delete_cluster,
            "checkClusterDeleted": self.check_cluster_deleted,
            "deleteLogGroups": self.delete_log_groups,
        }

    # -- the cluster ----------------------------------------------------------------------------------------
    def create_cluster(self, event: StepEvent) -> StepResult:
        name, config = event.name, event.config
        if owned(eks.describe_cluster(name), name, f"EKS cluster {name}") is None:
            eks.create_cluster(
                {
                    "name": name,
                    "version": config["kubernetesVersion"],
                    # STANDARD: EKS upgrades the cluster when standard support ends, rather than bill
                    # extended support; EXTENDED only when the input opted in (kubernetes_version.py).
                    "upgradePolicy": {"supportType": config["upgradePolicy"]},
                    "roleArn": self.settings.cluster_role_arn,
                    "resourcesVpcConfig": {
                        "subnetIds": list(self.settings.private_subnet_ids),
                        "securityGroupIds": [self.settings.node_security_group_id],
                        "endpointPublicAccess": True,
                        "endpointPrivateAccess": True,
                    },
                    # The API's default, CONFIG_MAP, has no access entries; which of the others, the access
                    # mode says (environment_input.AUTHENTICATION_MODES says why). A service-linked role
                    # cannot be given an access entry by us, only by Batch itself (its accessEntry).
                    "accessConfig": {
                        "authenticationMode": AUTHENTICATION_MODES[config.get("accessMode", AWS_AUTH)],
                        "bootstrapClusterCreatorAdminPermissions": False,
                    },
                    # Teardown deletes the cluster: protection would make it fail.
                    "deletionProtection": False,
                    "tags": environment_tags(name),
                }
            )
        return StepResult(output={"ready": False, "checks": 0}, timeline="cluster requested")

    def check_cluster(self, event: StepEvent) -> StepResult:
        found = eks.describe_cluster(event.name)
        if found is None:
            raise ResourceFailed(f"EKS cluster {event.name} disappeared while being created")
        if found.status == "FAILED":
            raise ResourceFailed(f"EKS cluster {event.name} FAILED: {found.why}")
        result = check_result(event, found.status == "ACTIVE", f"EKS cluster {event.name}", found.status)
        if result.output["ready"]:
            return StepResult(result.output, {"clusterArn": found.arn}, result.timeline)
        return result

    def grant_cluster_admin(self, event: StepEvent) -> StepResult:
        """Cluster admin through access entries (AmazonEKSClusterAdminPolicy, cluster scope) for the
        Kubernetes step's role and for the people named by the stack and by the input; a person granted by an
        earlier provisioning and named no more loses the entry."""
        name, step_role = event.name, self.settings.kubernetes_step_role_arn
        people = cluster_admins(self.settings, event.config)
        for principal in [step_role, *people]:
            eks.ensure_cluster_admin(name, principal, event.config["partition"])
        found = self.store.get(name)
        before = (found.resources if found else {}).get("clusterAdminPrincipalArns") or []
        dropped = [p for p in before if p not in people and p != step_role]
        for principal in dropped:
            eks.remove_access_entry(name, principal)
        timeline = f"access entries with AmazonEKSClusterAdminPolicy for {', '.join([step_role, *people])}"
        if dropped:
            timeline += f"; removed: {', '.join(dropped)}"
        return StepResult(
            resources={"clusterAdminPrincipalArn": step_role, "clusterAdminPrincipalArns": people},
            timeline=timeline,
        )

    # -- the node group -------------------------------------------------------------------------------------
    def create_nodegroup(self, event: StepEvent) -> StepResult:
        name, group = event.name, event.config["nodeGroup"]
        found = eks.describe_nodegroup(name, NODE_GROUP)
        if owned(found, name, f"node group {NODE_GROUP}") is None:
            eks.create_nodegroup(
                {
                    "clusterName": name,
                    "nodegroupName": NODE_GROUP,
                    "scalingConfig": {
                        "minSize": group["minSize"],
                        "maxSize": group["maxSize"],
                        "desiredSize": group["desiredSize"],
                    },
                    "instanceTypes": [group["instanceType"]],
                    "amiType": "AL2023_x86_64_STANDARD",
                    "capacityType": "ON_DEMAND",
                    "nodeRole": self.settings.node_role_arn,
                    "subnets": list(self.settings.private_subnet_ids),
                    "tags": environment_tags(name),
                }
            )
        return StepResult(output={"ready": False, "checks": 0}, timeline=f"node group {NODE_GROUP} requested")

    def check_nodegroup(self, event: StepEvent) -> StepResult:
        found = eks.describe_nodegroup(event.name, NODE_GROUP)
        if found is None:
            raise ResourceFailed(f"node group {NODE_GROUP} disappeared while being created")
        if found.status in ("CREATE_FAILED", "DEGRADED"):
            raise ResourceFailed(f"node group {NODE_GROUP} {found.status}: {found.why}")
        result = check_result(event, found.status == "ACTIVE", f"node group {NODE_GROUP}", found.status)
        if result.output["ready"]:
            return StepResult(result.output, {"nodegroupArn": found.arn}, result.timeline)
        return result

    # -- teardown ----------------------------------------------------------------------------------------
    def _nodegroups(self, name: str) -> list[Deletable]:
        if eks.describe_cluster(name) is None:
            return []
        found = owned(eks.describe_nodegroup(name, NODE_GROUP), name, f"node group {NODE_GROUP}")
        return [Deletable(f"node group {NODE_GROUP}", found, partial(eks.delete_nodegroup, name, NODE_GROUP))]

    def _clusters(self, name: str) -> list[Deletable]:
        found = owned(eks.describe_cluster(name), name, f"EKS cluster {name}")
        return [Deletable(f"EKS cluster {name}", found, partial(eks.delete_cluster, name))]

    def delete_nodegroup(self, event: StepEvent) -> StepResult:
        return start_removal(self._nodegroups(event.name))

    def check_nodegroup_deleted(self, event: StepEvent) -> StepResult:
        return check_removal(event, self._nodegroups(event.name), f"node group {NODE_GROUP}")

    def delete_cluster(self, event: StepEvent) -> StepResult:
        return start_removal(self._clusters(event.name))

    def check_cluster_deleted(self, event: StepEvent) -> StepResult:
        return check_removal(event, self._clusters(event.name), f"EKS cluster {event.name}")

    def delete_log_groups(self, event: StepEvent) -> StepResult:
        groups = logs.log_groups_with_prefix(log_group_prefix(event.name))
        for group in groups:
            logs.delete_log_group(group)
        return StepResult(timeline=f"log groups deleted: {', '.join(groups) or 'none'}")
