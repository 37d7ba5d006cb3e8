"""The Kubernetes step of provisioning and its undoing in teardown: the Batch namespace, RBAC and, as the
access mode says, aws-auth (written through the cluster's own API with an EKS token) or the access entries
Batch's nodes and Batch itself get in with. What was written is kept on the environment
(``resources.kubernetes``) so that teardown removes exactly it.

Teardown in the ``batch-access-entry`` mode deletes Batch's own entry with DeleteAccessEntry: Batch deletes it
only when every compute environment on the cluster says DISABLED, which an ``API`` cluster refuses
(https://docs.aws.amazon.com/batch/latest/APIReference/API_EksAccessEntry.html), and this step runs once the
compute environments are gone, so Batch has nothing left to make it again.

The environment's job role (:mod:`.job_roles`) is made here too, before the Pod Identity association that
names it, and deleted in teardown whether or not the record says it was made (a grant that failed after
CreateRole has recorded nothing).
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import eks as eks_cluster
from batch_on_eks.aws import kubernetes
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments import job_roles
from batch_on_eks.environments.batch_access import (
    JOB_SERVICE_ACCOUNT,
    grant_batch_access,
    revoke_batch_access,
)
from batch_on_eks.environments.steps import Step, StepEvent, StepResult, run_step
from batch_on_eks.models.environment_input import AWS_AUTH, BATCH_ACCESS_ENTRY
from batch_on_eks.settings import ProvisioningSettings, Settings


def kubernetes_step(
    event: dict[str, Any], settings: Settings, provisioning: ProvisioningSettings
) -> dict[str, Any]:
    """One Kubernetes action of the provision or teardown workflow, named by the event."""
    store = EnvironmentStore(settings.environments_table)
    return run_step(KubernetesSteps(provisioning, store, settings.resource_prefix).actions(), event, store)


def batch_service_linked_role_arn(partition: str, account: str) -> str:
    """AWSServiceRoleForBatch with its path: the principal of the access entry Batch makes for itself."""
    return f"arn:{partition}:iam::{account}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"


class KubernetesSteps:
    def __init__(self, settings: ProvisioningSettings, store: EnvironmentStore, resource_prefix: str):
        self.settings = settings
        self.store = store
        self.resource_prefix = resource_prefix

    def actions(self) -> dict[str, Step]:
        return {"grantBatchAccess": self.grant_batch_access, "revokeBatchAccess": self.revoke_batch_access}

    def grant_batch_access(self, event: StepEvent) -> StepResult:
        config = event.config
        entries = config.get("accessMode", AWS_AUTH) == BATCH_ACCESS_ENTRY
        record = grant_batch_access(
            kubernetes.for_cluster(event.name),
            namespace=config["namespace"],
            account_id=config["account"],
            partition=config["partition"],
            batch_instance_role_arn=self.settings.batch_instance_role_arn,
            aws_auth=not entries,
        )
        # Jobs run as the job service account, with the environment's own role, not as the node's role (the
        # association goes when the cluster does).
        role_arn = job_roles.ensure_job_role(
            event.name,
            self.resource_prefix,
            account=config["account"],
            namespace=config["namespace"],
            service_account=JOB_SERVICE_ACCOUNT,
            boundary_arn=self.settings.job_role_boundary_arn,
            policy_arns=list(config.get("jobPolicyArns") or []),
        )
        eks_cluster.ensure_pod_identity_association(
            event.name, config["namespace"], JOB_SERVICE_ACCOUNT, role_arn
        )
        job_role = {"jobRole": role_arn}
        if not entries:
            return StepResult(
                resources={"kubernetes": record, **job_role},
                timeline=f"namespace {config['namespace']}, RBAC for user aws-batch, aws-auth mappings, "
                f"service account {JOB_SERVICE_ACCOUNT} with job role {role_arn}",
            )
        # Before the compute environments: Batch's nodes join through it from their first boot.
        eks_cluster.ensure_node_access_entry(event.name, self.settings.batch_instance_role_arn)
        record["accessEntries"] = [
            self.settings.batch_instance_role_arn,
            batch_service_linked_role_arn(config["partition"], config["account"]),
        ]
        return StepResult(
            resources={"kubernetes": record, **job_role},
            timeline=f"namespace {config['namespace']}, RBAC for user aws-batch (Batch's own access entry), "
            f"EC2_LINUX access entry for {self.settings.batch_instance_role_arn}, service account "
            f"{JOB_SERVICE_ACCOUNT} with job role {role_arn}",
        )

    def revoke_batch_access(self, event: StepEvent) -> StepResult:
        role = (
            "job role deleted"
            if job_roles.remove_job_role(event.name, self.resource_prefix)
            else "no job role"
        )
        found = self.store.get(event.name)
        record = found.resources.get("kubernetes") if found else None
        if not record:
            return StepResult(
                resources={"jobRole": None},
                timeline=f"nothing written to Kubernetes: nothing to remove; {role}",
            )
        if eks_cluster.describe_cluster(event.name) is None:
            return StepResult(
                resources={"jobRole": None},
                timeline=f"cluster gone: its Kubernetes objects went with it; {role}",
            )
        revoke_batch_access(kubernetes.for_cluster(event.name), record)
        entries = record.get("accessEntries") or []
        for principal in entries:
            eks_cluster.remove_access_entry(event.name, principal)
        removed = f"access entries of {', '.join(entries)}" if entries else "aws-auth entries"
        return StepResult(
            resources={"kubernetes": None, "jobRole": None},
            timeline=f"Kubernetes objects and {removed} removed; {role}",
        )
