"""The EKS steps of provisioning and teardown: the cluster, its admin access entry, the node group, the
add-ons and the Container Insights log groups. Each create is a request; each check is one Describe in the
workflow's wait loop. Teardown removes them in the order EKS requires: add-ons, node group, cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from batch_on_eks.aws import eks, logs
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.steps import Step, StepEvent, StepResult, check_result, run_step
from batch_on_eks.errors import ResourceFailed, ResourceNotOwned
from batch_on_eks.models.environment_names import (
    ADDONS,
    ENVIRONMENT_TAG,
    NODE_GROUP,
    environment_tags,
    log_group_names,
    log_group_prefix,
)
from batch_on_eks.models.resources import AwsResource
from batch_on_eks.settings import ProvisioningSettings, Settings

# Batch taints the nodes it launches; the CloudWatch agent and Fluent Bit must run there too, or the
# jobs' container logs never reach CloudWatch.
BATCH_NODE_TOLERATION = {"key": "batch.amazonaws.com/batch-node", "operator": "Exists"}
CLOUDWATCH_OBSERVABILITY_CONFIG = {"containerLogs": {"enabled": True}, "tolerations": [BATCH_NODE_TOLERATION]}

R = TypeVar("R", bound=AwsResource)


def _owned(found: R | None, environment: str, what: str) -> R | None:
    """``found`` if it is this environment's (tagged so), None if it does not exist; otherwise refuse."""
    if found is not None and found.tags.get(ENVIRONMENT_TAG) != environment:
        raise ResourceNotOwned(
            f"{what} exists but is not tagged {ENVIRONMENT_TAG}={environment}: it was not made by this "
            f"control plane for this environment, so it is left alone"
        )
    return found


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
            "createCluster": self.create_cluster,
            "checkCluster": self.check_cluster,
            "grantClusterAdmin": self.grant_cluster_admin,
            "createNodegroup": self.create_nodegroup,
            "checkNodegroup": self.check_nodegroup,
            "createAddons": self.create_addons,
            "checkAddons": self.check_addons,
            "deleteAddons": self.delete_addons,
            "checkAddonsDeleted": self.check_addons_deleted,
            "deleteNodegroup": self.delete_nodegroup,
            "checkNodegroupDeleted": self.check_nodegroup_deleted,
            "deleteCluster": self.delete_cluster,
            "checkClusterDeleted": self.check_cluster_deleted,
            "deleteLogGroups": self.delete_log_groups,
        }

    # -- the cluster ----------------------------------------------------------------------------------------
    def create_cluster(self, event: StepEvent) -> StepResult:
        name, config = event.name, event.config
        if _owned(eks.describe_cluster(name), name, f"EKS cluster {name}") is None:
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
                    # The API's default, CONFIG_MAP, has no access entries; API alone has no aws-auth, which
                    # Batch's service-linked role needs (access entries refuse service-linked roles).
                    "accessConfig": {
                        "authenticationMode": "API_AND_CONFIG_MAP",
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
        """The Kubernetes step's role gets cluster admin through an access entry (no aws-auth needed)."""
        principal = self.settings.kubernetes_step_role_arn
        eks.ensure_cluster_admin(event.name, principal, event.config["partition"])
        return StepResult(
            resources={"clusterAdminPrincipalArn": principal},
            timeline=f"access entry with AmazonEKSClusterAdminPolicy for {principal}",
        )

    # -- the node group -------------------------------------------------------------------------------------
    def create_nodegroup(self, event: StepEvent) -> StepResult:
        name, group = event.name, event.config["nodeGroup"]
        found = eks.describe_nodegroup(name, NODE_GROUP)
        if _owned(found, name, f"node group {NODE_GROUP}") is None:
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

    # -- add-ons and their log groups --
    def _addon_request(self, cluster: str, addon: str, version: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "clusterName": cluster,
            "addonName": addon,
            "addonVersion": version,
            "resolveConflicts": "OVERWRITE",
            "tags": environment_tags(cluster),
        }
        if addon == "aws-ebs-csi-driver":
            request["podIdentityAssociations"] = [
                {"serviceAccount": "ebs-csi-controller-sa", "roleArn": self.settings.ebs_csi_driver_role_arn}
            ]
        elif addon == "amazon-cloudwatch-observability":
            request["podIdentityAssociations"] = [
                {
                    "serviceAccount": "cloudwatch-agent",
                    "roleArn": self.settings.cloudwatch_observability_role_arn,
                }
            ]
            request["configurationValues"] = json.dumps(CLOUDWATCH_OBSERVABILITY_CONFIG)
        return request

    def _addon_versions(self, name: str) -> dict[str, str]:
        """Each add-on's version: the one recorded when the environment was first provisioned, else EKS's
        default for the cluster's Kubernetes version now. Recorded, a re-provision installs what the first
        did, whatever EKS's default has become since."""
        found = self.store.get(name)
        recorded = dict((found.resources if found else {}).get("addonVersions") or {})
        missing = [addon for addon in ADDONS if addon not in recorded]
        if missing:
            cluster = eks.describe_cluster(name)
            if cluster is None or cluster.version is None:
                raise ResourceFailed(f"EKS cluster {name} is gone: its add-ons' versions cannot be resolved")
            for addon in missing:
                version = eks.default_addon_version(addon, cluster.version)
                if version is None:
                    raise ResourceFailed(
                        f"EKS has no default version of {addon} for Kubernetes {cluster.version}"
                    )
                recorded[addon] = version
        return {addon: recorded[addon] for addon in ADDONS}

    def create_addons(self, event: StepEvent) -> StepResult:
        name = event.name
        # Before the CloudWatch add-on: Fluent Bit would otherwise create the groups, with no retention.
        groups = log_group_names(name)
        for group in groups:
            logs.ensure_log_group(group, int(event.config["logRetentionDays"]), environment_tags(name))
        versions = self._addon_versions(name)
        for addon, version in versions.items():
            if _owned(eks.describe_addon(name, addon), name, f"add-on {addon}") is None:
                eks.create_addon(self._addon_request(name, addon, version))
        return StepResult(
            output={"ready": False, "checks": 0},
            resources={"addons": list(ADDONS), "addonVersions": versions, "logGroups": groups},
            timeline="add-ons requested: "
            + ", ".join(f"{addon} {version}" for addon, version in versions.items())
            + "; log groups created",
        )

    def check_addons(self, event: StepEvent) -> StepResult:
        waiting = []
        for addon in ADDONS:
            found = eks.describe_addon(event.name, addon)
            if found is None:
                raise ResourceFailed(f"add-on {addon} disappeared while being created")
            if found.status in ("CREATE_FAILED", "DEGRADED"):
                raise ResourceFailed(f"add-on {addon} {found.status}: {found.why}")
            if found.status != "ACTIVE":
                waiting.append(f"{addon} {found.status}")
        return check_result(event, not waiting, "add-ons", ", ".join(waiting) or "ACTIVE")

    # -- teardown ----------------------------------------------------------------------------------------
    def _addons(self, name: str) -> list[_Deletable]:
        if eks.describe_cluster(name) is None:
            return []  # add-ons go with their cluster
        return [
            _Deletable(
                f"add-on {addon}",
                _owned(eks.describe_addon(name, addon), name, f"add-on {addon}"),
                partial(eks.delete_addon, name, addon),
            )
            for addon in ADDONS
        ]

    def _nodegroups(self, name: str) -> list[_Deletable]:
        if eks.describe_cluster(name) is None:
            return []
        found = _owned(eks.describe_nodegroup(name, NODE_GROUP), name, f"node group {NODE_GROUP}")
        return [
            _Deletable(f"node group {NODE_GROUP}", found, partial(eks.delete_nodegroup, name, NODE_GROUP))
        ]

    def _clusters(self, name: str) -> list[_Deletable]:
        found = _owned(eks.describe_cluster(name), name, f"EKS cluster {name}")
        return [_Deletable(f"EKS cluster {name}", found, partial(eks.delete_cluster, name))]

    def delete_addons(self, event: StepEvent) -> StepResult:
        return _start_removal(self._addons(event.name))

    def check_addons_deleted(self, event: StepEvent) -> StepResult:
        return _check_removal(event, self._addons(event.name), "add-ons")

    def delete_nodegroup(self, event: StepEvent) -> StepResult:
        return _start_removal(self._nodegroups(event.name))

    def check_nodegroup_deleted(self, event: StepEvent) -> StepResult:
        return _check_removal(event, self._nodegroups(event.name), f"node group {NODE_GROUP}")

    def delete_cluster(self, event: StepEvent) -> StepResult:
        return _start_removal(self._clusters(event.name))

    def check_cluster_deleted(self, event: StepEvent) -> StepResult:
        return _check_removal(event, self._clusters(event.name), f"EKS cluster {event.name}")

    def delete_log_groups(self, event: StepEvent) -> StepResult:
        groups = logs.log_groups_with_prefix(log_group_prefix(event.name))
        for group in groups:
            logs.delete_log_group(group)
        return StepResult(timeline=f"log groups deleted: {', '.join(groups) or 'none'}")


# EKS refuses to delete a cluster, node group or add-on while it is being created or updated
# (ResourceInUseException). The delete step deletes what it can; each check of the wait loop deletes what
# has become deletable since, until everything is gone or the loop's bound is hit.
_NOT_DELETABLE = ("CREATING", "UPDATING", "DELETING")


@dataclass(frozen=True)
class _Deletable:
    what: str
    found: AwsResource | None  # its Describe; None: gone
    delete: Callable[[], None]


def _delete_what_can_be(items: list[_Deletable], *, retry_failed: bool) -> list[str]:
    """Delete each item whose status allows it; returns what is still there, with its status."""
    remaining = []
    for item in items:
        if item.found is None:
            continue
        status = item.found.status
        if status == "DELETE_FAILED" and not retry_failed:
            raise ResourceFailed(f"{item.what} DELETE_FAILED: {item.found.why}")
        if status not in _NOT_DELETABLE:
            item.delete()
            status = "DELETING"
        remaining.append(f"{item.what} {status}")
    return remaining


def _start_removal(items: list[_Deletable]) -> StepResult:
    remaining = _delete_what_can_be(items, retry_failed=True)
    return StepResult(
        output={"ready": False, "checks": 0},
        timeline=f"removing: {', '.join(remaining)}" if remaining else "nothing to remove",
    )


def _check_removal(event: StepEvent, items: list[_Deletable], what: str) -> StepResult:
    remaining = _delete_what_can_be(items, retry_failed=False)
    return check_result(event, not remaining, what, ", ".join(remaining) or "gone")
