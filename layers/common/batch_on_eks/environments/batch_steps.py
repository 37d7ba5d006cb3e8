"""The Batch steps of provisioning and teardown: Batch's service-linked role, the on-demand and Spot compute
environments, their job queues and the hello-world job definition; and their removal, queues first, in the
order Batch requires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws import batch_resources as batch
from batch_on_eks.aws import eks
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.batch_access import JOB_SERVICE_ACCOUNT
from batch_on_eks.environments.removal import owned
from batch_on_eks.environments.steps import Step, StepEvent, StepResult, check_result, run_step
from batch_on_eks.errors import ResourceFailed
from batch_on_eks.models.environment_input import ACCESS_ENTRY_STATES, AWS_AUTH
from batch_on_eks.models.environment_names import (
    ENVIRONMENT_TAG,
    QUEUE_KINDS,
    environment_tags,
    hello_world_job_definition,
    queue_kind,
)
from batch_on_eks.models.environment_names import compute_environment_name as ce_name
from batch_on_eks.models.environment_names import job_queue_name as queue_name
from batch_on_eks.models.resources import AwsResource
from batch_on_eks.settings import ProvisioningSettings, Settings

# Jobs that cannot start for these reasons would wait RUNNABLE for ever: the queue cancels them after
# ``RUNNABLE_LIMIT_SECONDS`` (Batch's minimum is 600). The reasons are Batch's own names.
RUNNABLE_LIMIT_SECONDS = 600
STUCK_RUNNABLE_REASONS = (
    "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
)

HELLO_WORLD_CONTAINER = {
    "name": "application-hello",
    "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
    "command": ["/bin/sh", "-c", "sleep 30 && echo 'Hello World!'"],
    # EKS jobs: cpu in steps of 0.25, memory in MiB, requests equal to limits.
    "resources": {"limits": {"cpu": "1", "memory": "1024Mi"}, "requests": {"cpu": "1", "memory": "1024Mi"}},
}
# Off the host network (Batch's EKS default is on it, where a job could act as the node's role), as the job
# service account, whose role comes from EKS Pod Identity.
HELLO_WORLD_POD = {
    "hostNetwork": False,
    "dnsPolicy": "ClusterFirst",
    "serviceAccountName": JOB_SERVICE_ACCOUNT,
}
# A Spot host reclaimed mid-job is Batch's "Host EC2 (instance ...) terminated": retry that, nothing else.
HELLO_WORLD_RETRY = {
    "attempts": 3,
    "evaluateOnExit": [
        {"onStatusReason": "Host EC2*", "action": "RETRY"},
        {"onReason": "*", "action": "EXIT"},
    ],
}


@dataclass(frozen=True)
class _Removable:
    """Queues and compute environments leave the same way: disable, wait, delete, wait until gone."""

    what: str
    names: Callable[[str], list[str]]
    describe: Callable[[str], AwsResource | None]
    disable: Callable[[str], None]
    delete: Callable[[str], None]

    def existing(self, environment: str) -> list[AwsResource]:
        found = []
        for name in self.names(environment):
            item = owned(self.describe(name), environment, f"{self.what} {name}")
            if item is not None:
                found.append(item)
        return found

    def present(self, environment: str) -> list[AwsResource]:
        # Batch lists a deleted queue or compute environment as DELETED for a while.
        return [f for f in self.existing(environment) if f.status != "DELETED"]


_QUEUES = _Removable(
    "job queue",
    lambda env: [queue_name(env, k) for k in QUEUE_KINDS],
    batch.describe_job_queue,
    batch.disable_job_queue,
    batch.delete_job_queue,
)
_COMPUTE_ENVIRONMENTS = _Removable(
    "compute environment",
    lambda env: [ce_name(env, k) for k in QUEUE_KINDS],
    batch.describe_compute_environment,
    batch.disable_compute_environment,
    batch.delete_compute_environment,
)


def batch_step(
    event: dict[str, Any], settings: Settings, provisioning: ProvisioningSettings
) -> dict[str, Any]:
    """One Batch action of the provision or teardown workflow, named by the event."""
    return run_step(BatchSteps(provisioning).actions(), event, EnvironmentStore(settings.environments_table))


class BatchSteps:
    def __init__(self, settings: ProvisioningSettings):
        self.settings = settings

    def actions(self) -> dict[str, Step]:
        steps: dict[str, Step] = {
            "ensureServiceLinkedRole": self.ensure_service_linked_role,
            "createComputeEnvironment": self.create_compute_environment,
            "checkComputeEnvironment": self.check_compute_environment,
            "createJobQueues": self.create_job_queues,
            "registerJobDefinition": self.register_job_definition,
            "deregisterJobDefinitions": self.deregister_job_definitions,
        }
        for prefix, removable in (("JobQueues", _QUEUES), ("ComputeEnvironments", _COMPUTE_ENVIRONMENTS)):
            steps[f"disable{prefix}"] = _disable(removable)
            steps[f"check{prefix}Disabled"] = _check_disabled(removable)
            steps[f"delete{prefix}"] = _delete(removable)
            steps[f"check{prefix}Deleted"] = _check_deleted(removable)
        return steps

    def ensure_service_linked_role(self, event: StepEvent) -> StepResult:
        batch.ensure_service_linked_role()
        return StepResult(timeline="AWSServiceRoleForBatch present")

    def create_compute_environment(self, event: StepEvent) -> StepResult:
        name, config = event.name, event.config
        kind = queue_kind(str(event.kind))
        ce = ce_name(name, kind)
        if owned(batch.describe_compute_environment(ce), name, f"compute environment {ce}") is None:
            cluster = eks.describe_cluster(name)
            if cluster is None:
                raise ResourceFailed(f"EKS cluster {name} is gone: no compute environment without it")
            if cluster.security_group_id is None:
                raise ResourceFailed(
                    f"EKS reports no cluster security group for {name}: Batch's nodes need it"
                )
            batch.create_compute_environment(
                {
                    "computeEnvironmentName": ce,
                    "type": "MANAGED",
                    "state": "ENABLED",
                    "computeResources": {
                        "type": kind.compute_type,
                        "allocationStrategy": kind.allocation_strategy,
                        "minvCpus": 0,
                        "maxvCpus": config["maxVcpus"],
                        "instanceTypes": list(config["instanceTypes"]),
                        "subnets": list(self.settings.private_subnet_ids),
                        # The cluster security group, which the managed nodes (CoreDNS) and the control
                        # plane have and which admits its members: Batch's nodes resolve names and join.
                        # The stack's node group stays, for rules people add for their own resources.
                        "securityGroupIds": [cluster.security_group_id, self.settings.node_security_group_id],
                        "instanceRole": self.settings.batch_instance_profile_arn,
                        # IMDSv2 with a hop limit of 1: a job's pod (off the host network) cannot reach the
                        # node's metadata service and its role.
                        "launchTemplate": {
                            "launchTemplateId": self.settings.batch_launch_template_id,
                            "version": "$Default",
                        },
                        # Without it Batch picks its newest node version, whatever the cluster runs.
                        "ec2Configuration": [
                            {"imageType": "EKS_AL2023", "imageKubernetesVersion": cluster.version}
                        ],
                        "tags": environment_tags(name),
                    },
                    # The namespace from the input: the one RBAC was set up for; Batch's own access entry
                    # as the access mode says, never left to INHERIT_FROM_CLUSTER.
                    "eksConfiguration": {
                        "eksClusterArn": cluster.arn,
                        "kubernetesNamespace": config["namespace"],
                        "accessEntry": {
                            "desiredState": ACCESS_ENTRY_STATES[config.get("accessMode", AWS_AUTH)]
                        },
                    },
                    "tags": environment_tags(name),
                }
            )
        return StepResult(
            output={"ready": False, "checks": 0}, timeline=f"compute environment {ce} requested"
        )

    def check_compute_environment(self, event: StepEvent) -> StepResult:
        kind = queue_kind(str(event.kind))
        ce = ce_name(event.name, kind)
        found = batch.describe_compute_environment(ce)
        if found is None:
            raise ResourceFailed(f"compute environment {ce} disappeared while being created")
        if found.status == "INVALID":
            raise ResourceFailed(f"compute environment {ce} INVALID: {found.why}")
        result = check_result(event, found.status == "VALID", f"compute environment {ce}", found.status)
        if result.output["ready"]:
            return StepResult(
                result.output, {f"{kind.role}ComputeEnvironmentArn": found.arn}, result.timeline
            )
        return result

    def create_job_queues(self, event: StepEvent) -> StepResult:
        name = event.name
        arns = {}
        for kind in QUEUE_KINDS:
            queue = queue_name(name, kind)
            found = owned(batch.describe_job_queue(queue), name, f"job queue {queue}")
            if found is None:
                batch.create_job_queue(
                    {
                        "jobQueueName": queue,
                        "state": "ENABLED",
                        "priority": 1,
                        "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": ce_name(name, kind)}],
                        "jobStateTimeLimitActions": [
                            {
                                "reason": reason,
                                "state": "RUNNABLE",
                                "maxTimeSeconds": RUNNABLE_LIMIT_SECONDS,
                                "action": "CANCEL",
                            }
                            for reason in STUCK_RUNNABLE_REASONS
                        ],
                        "tags": environment_tags(name),
                    }
                )
                found = batch.describe_job_queue(queue)
                if found is None:
                    raise ResourceFailed(f"job queue {queue} was created but cannot be described")
            arns[kind.role] = found.arn
        return StepResult(
            output={"jobQueues": arns},
            resources={"jobQueues": arns},
            timeline=f"job queues {', '.join(queue_name(name, k) for k in QUEUE_KINDS)}",
        )

    def register_job_definition(self, event: StepEvent) -> StepResult:
        name = event.name
        definition = hello_world_job_definition(name)
        wanted = {"podProperties": {**HELLO_WORLD_POD, "containers": [HELLO_WORLD_CONTAINER]}}
        for active in batch.active_job_definitions(definition):
            ours = active.tags.get(ENVIRONMENT_TAG) == name
            pod = (active.eks_properties or {}).get("podProperties", {})
            same_pod = all(pod.get(key) == value for key, value in HELLO_WORLD_POD.items())
            containers = pod.get("containers") or []
            if ours and same_pod and _same_containers(containers) and _same_retry(active.retry_strategy):
                # A re-run: this revision is what we would register, so no new one.
                return StepResult(
                    resources={"jobDefinitionArn": active.arn}, timeline=f"{definition} present"
                )
        arn = batch.register_job_definition(
            {
                "jobDefinitionName": definition,
                "type": "container",
                "eksProperties": wanted,
                "retryStrategy": HELLO_WORLD_RETRY,
                "tags": environment_tags(name),
            }
        )
        return StepResult(resources={"jobDefinitionArn": arn}, timeline=f"job definition {arn}")

    def deregister_job_definitions(self, event: StepEvent) -> StepResult:
        definition = hello_world_job_definition(event.name)
        removed = []
        for active in batch.active_job_definitions(definition):
            if active.tags.get(ENVIRONMENT_TAG) == event.name:
                batch.deregister_job_definition(active.arn)
                removed.append(active.arn)
        return StepResult(timeline=f"job definitions deregistered: {', '.join(removed) or 'none'}")


def _same_containers(containers: list[dict[str, Any]]) -> bool:
    """Whether described containers are HELLO_WORLD_CONTAINER (Batch adds defaults, e.g. an empty env)."""
    return len(containers) == 1 and all(containers[0].get(k) == v for k, v in HELLO_WORLD_CONTAINER.items())


def _same_retry(strategy: dict[str, Any] | None) -> bool:
    """Whether a described retry strategy is HELLO_WORLD_RETRY (Batch may answer ``action`` in lowercase)."""
    if not strategy:
        return False

    def normal(s: dict[str, Any]) -> Any:
        return (
            s.get("attempts"),
            [{**rule, "action": str(rule.get("action", "")).upper()} for rule in s.get("evaluateOnExit", [])],
        )

    return bool(normal(strategy) == normal(HELLO_WORLD_RETRY))


def _disable(removable: _Removable) -> Step:
    def disable(event: StepEvent) -> StepResult:
        for found in removable.present(event.name):
            if found.state == "ENABLED":
                removable.disable(found.name)
        return StepResult(output={"ready": False, "checks": 0})

    return disable


def _check_disabled(removable: _Removable) -> Step:
    def check(event: StepEvent) -> StepResult:
        busy = [
            f"{f.name} {f.state}/{f.status}"
            for f in removable.present(event.name)
            if f.state != "DISABLED" or f.status in ("CREATING", "UPDATING")
        ]
        return check_result(event, not busy, f"{removable.what}s", ", ".join(busy) or "disabled")

    return check


def _delete(removable: _Removable) -> Step:
    def delete(event: StepEvent) -> StepResult:
        deleting = []
        for found in removable.present(event.name):
            if found.status != "DELETING":
                removable.delete(found.name)
            deleting.append(found.name)
        return StepResult(
            output={"ready": False, "checks": 0},
            timeline=f"{removable.what}s deleting: {', '.join(deleting) or 'none'}",
        )

    return delete


def _check_deleted(removable: _Removable) -> Step:
    def check(event: StepEvent) -> StepResult:
        left = [f"{f.name} {f.status}" for f in removable.present(event.name)]
        return check_result(event, not left, f"{removable.what}s", ", ".join(left) or "gone")

    return check
