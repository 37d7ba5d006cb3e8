"""The environment's job role: what its jobs run as (the job service account, through EKS Pod Identity).

One role per environment, ``<environment>-job`` under the stack's job-role path (``/<ResourcePrefix>-jobs/``,
:func:`~batch_on_eks.models.environment_names.job_role_name` for names past IAM's 64 characters). It trusts
EKS Pod Identity for this environment's cluster, Batch namespace and job service account only, so a pod of
another environment cannot get it even if an association named it; it is created with the stack's
``JobRoleBoundary`` as its permissions boundary (the control plane's IAM allows CreateRole with nothing
else), which caps whatever the environment's ``jobPolicyArns``, or a person afterwards, attach to it.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import iam
from batch_on_eks.models.environment_names import ENVIRONMENT_TAG, job_role_name, job_role_path

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def job_role_trust(account: str, cluster: str, namespace: str, service_account: str) -> dict[str, Any]:
    """EKS Pod Identity assumes the role with session tags naming the pod's cluster, namespace and service
    account (and must be allowed to set them: sts:TagSession); the source account keeps another account's
    Pod Identity out ("EKS Pod Identity role", Amazon EKS User Guide)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
                "Effect": "Allow",
                "Principal": {"Service": POD_IDENTITY_SERVICE},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": account,
                        "aws:RequestTag/eks-cluster-name": cluster,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": service_account,
                    }
                },
            }
        ],
    }


def ensure_job_role(
    environment: str,
    resource_prefix: str,
    account: str,
    namespace: str,
    service_account: str,
    boundary_arn: str,
    policy_arns: list[str],
) -> str:
    """The environment's job role, with its policies attached; its ARN."""
    name = job_role_name(environment)
    arn = iam.ensure_job_role(
        name,
        job_role_path(resource_prefix),
        job_role_trust(account, environment, namespace, service_account),
        boundary_arn,
        tags={ENVIRONMENT_TAG: environment},
        description=f"The jobs of Batch-on-EKS environment {environment} ({namespace}/{service_account}, "
        "EKS Pod Identity)",
    )
    iam.attach_policies(name, policy_arns, field="jobPolicyArns")
    return arn


def remove_job_role(environment: str, resource_prefix: str) -> bool:
    """Delete the environment's job role if there is one (with every policy on it); whether there was."""
    name = job_role_name(environment)
    if name not in iam.job_roles(job_role_path(resource_prefix)):
        return False
    iam.delete_role(name)
    return True
