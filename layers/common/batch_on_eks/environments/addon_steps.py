"""The add-on steps of provisioning and teardown: the cluster's managed add-ons, each at a version resolved
once and recorded, the CloudWatch observability add-on's configuration, and the Container Insights log
groups its Fluent Bit writes to.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from batch_on_eks.aws import eks, logs
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.removal import Deletable, check_removal, owned, start_removal
from batch_on_eks.environments.steps import Step, StepEvent, StepResult, check_result
from batch_on_eks.errors import ResourceFailed
from batch_on_eks.models.environment_names import ADDONS, environment_tags, log_group_names
from batch_on_eks.settings import ProvisioningSettings

# Batch taints the nodes it launches; the CloudWatch agent and Fluent Bit must run there too, or the
# jobs' container logs never reach CloudWatch.
BATCH_NODE_TOLERATION = {"key": "batch.amazonaws.com/batch-node", "operator": "Exists"}
# Fluent Bit's container-log pipeline, pinned rather than left to the add-on version's default: the run's
# log links (runs/log_links.py) find a container's stream as this names it, <node>- followed by the tail
# input's tag, application.var.log.containers.<pod>_<namespace>_<container>-<id>.log, in
# /aws/containerinsights/<cluster>/application. It is the Container Insights pipeline the add-on's Helm
# chart ships (charts/amazon-cloudwatch-observability); the ${...} are the Fluent Bit daemonset's variables.
APPLICATION_LOG_CONF = """\
[INPUT]
    Name                tail
    Tag                 application.*
    Path                /var/log/containers/*.log
    Exclude_Path        /var/log/containers/cloudwatch-agent*, /var/log/containers/fluent-bit*
    multiline.parser    docker, cri
    DB                  /var/fluent-bit/state/flb_container.db
    Mem_Buf_Limit       50MB
    Skip_Long_Lines     On
    Refresh_Interval    10
    Read_from_Head      ${READ_FROM_HEAD}

[FILTER]
    Name                kubernetes
    Match               application.*
    Kube_URL            https://kubernetes.default.svc:443
    Kube_Tag_Prefix     application.var.log.containers.
    Merge_Log           On
    Merge_Log_Key       log_processed
    K8S-Logging.Parser  On
    K8S-Logging.Exclude Off
    Labels              Off
    Annotations         Off
    Use_Kubelet         On
    Kubelet_Port        10250
    Buffer_Size         0

[OUTPUT]
    Name                cloudwatch_logs
    Match               application.*
    region              ${AWS_REGION}
    log_group_name      /aws/containerinsights/${CLUSTER_NAME}/application
    log_stream_prefix   ${HOST_NAME}-
    auto_create_group   true
"""
CLOUDWATCH_OBSERVABILITY_CONFIG = {
    "containerLogs": {
        "enabled": True,
        "fluentBit": {"config": {"extraFiles": {"application-log.conf": APPLICATION_LOG_CONF}}},
    },
    "tolerations": [BATCH_NODE_TOLERATION],
}


class AddonSteps:
    def __init__(self, settings: ProvisioningSettings, store: EnvironmentStore):
        self.settings = settings
        self.store = store

    def actions(self) -> dict[str, Step]:
        return {
            "createAddons": self.create_addons,
            "checkAddons": self.check_addons,
            "deleteAddons": self.delete_addons,
            "checkAddonsDeleted": self.check_addons_deleted,
        }

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
            if owned(eks.describe_addon(name, addon), name, f"add-on {addon}") is None:
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
    def _addons(self, name: str) -> list[Deletable]:
        if eks.describe_cluster(name) is None:
            return []  # add-ons go with their cluster
        return [
            Deletable(
                f"add-on {addon}",
                owned(eks.describe_addon(name, addon), name, f"add-on {addon}"),
                partial(eks.delete_addon, name, addon),
            )
            for addon in ADDONS
        ]

    def delete_addons(self, event: StepEvent) -> StepResult:
        return start_removal(self._addons(event.name))

    def check_addons_deleted(self, event: StepEvent) -> StepResult:
        return check_removal(event, self._addons(event.name), "add-ons")
