"""The provision and teardown executions' input: an environment's settings, every one defaulting to the
blueprint's, checked before anything is created.

The rules are the ones EKS, Batch and Kubernetes would enforce later (or, worse, not enforce): a bad input
fails the execution at once with ``InvalidInput`` naming the field.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from batch_on_eks.models.camel_case import CamelCaseModel
from batch_on_eks.models.kubernetes_versions import BATCH_EKS_VERSIONS

DEFAULT_NAMESPACE = "doeks-aws-batch"

AccessMode = Literal["aws-auth", "batch-access-entry"]
AWS_AUTH: AccessMode = "aws-auth"
BATCH_ACCESS_ENTRY: AccessMode = "batch-access-entry"
# The cluster's authenticationMode per access mode. aws-auth: API_AND_CONFIG_MAP, since the admins (and the
# Kubernetes step) get in through access entries and Batch through aws-auth. batch-access-entry: API, so that
# no aws-auth exists to drift from the entries, and Batch's INHERIT_FROM_CLUSTER would mean ENABLED anyway
# (https://docs.aws.amazon.com/batch/latest/APIReference/API_EksAccessEntry.html).
AUTHENTICATION_MODES: dict[str, str] = {AWS_AUTH: "API_AND_CONFIG_MAP", BATCH_ACCESS_ENTRY: "API"}
# The compute environments' accessEntry.desiredState, said explicitly rather than inherited: DISABLED under
# aws-auth (Batch keeps no entry; aws-auth maps its role), ENABLED for Batch's own entry.
ACCESS_ENTRY_STATES: dict[str, str] = {AWS_AUTH: "DISABLED", BATCH_ACCESS_ENTRY: "ENABLED"}

_LABEL = re.compile(r"(?=.{1,63}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
# EKS cluster names: 1-100 characters; the longest derived name, <name>-hello-world, stays within Batch's 128.
_ENVIRONMENT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?")
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
_BATCH_INSTANCE_TYPE = re.compile(r"optimal|default_x86_64|default_arm64|[a-z][a-z0-9-]*(?:\.[a-z0-9]+)?")
# What an EKS access entry takes: an IAM role or user (a role with its path), never an STS session
# (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html, principalArn).
PRINCIPAL_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:iam::\d{12}:(?:role|user)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}"
)

# A managed policy: AWS's (account "aws") or a customer's, with its path
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html, PolicyArn).
POLICY_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:iam::(?:aws|\d{12}):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}")
# IAM's default quota of managed policies attached to one role ("IAM and AWS STS quotas"); raisable to 20,
# but a provisioning that fails half-way on the quota is worse than a clear refusal up front.
MAX_JOB_POLICIES = 10


def _rfc1123_label(value: str) -> str:
    if not _LABEL.fullmatch(value):
        raise ValueError(
            "a Kubernetes namespace: an RFC 1123 label, up to 63 lowercase letters, digits and hyphens, "
            f"starting and ending alphanumeric (got {value!r})"
        )
    if value.startswith("kube-"):
        raise ValueError(f"the kube- prefix is reserved for Kubernetes' own namespaces (got {value!r})")
    return value


def _instance_type(value: str) -> str:
    if not _INSTANCE_TYPE.fullmatch(value):
        raise ValueError(f"an EC2 instance type such as m5.large (got {value!r})")
    return value


def _principal_arn(value: str) -> str:
    if not PRINCIPAL_ARN.fullmatch(value):
        raise ValueError(
            "an IAM role or user ARN, arn:aws:iam::<account>:role/<name> or "
            f"arn:aws:iam::<account>:user/<name> (for an assumed-role session, name its role) (got {value!r})"
        )
    return value


def _policy_arn(value: str) -> str:
    if not POLICY_ARN.fullmatch(value):
        raise ValueError(
            "a managed policy ARN, arn:aws:iam::aws:policy/<name> (AWS's) or "
            f"arn:aws:iam::<account>:policy/<path/><name> (got {value!r})"
        )
    return value


def _batch_instance_type(value: str) -> str:
    if not _BATCH_INSTANCE_TYPE.fullmatch(value):
        raise ValueError(f"an EC2 instance type or family, or 'optimal' (got {value!r})")
    return value


Namespace = Annotated[str, AfterValidator(_rfc1123_label)]
InstanceType = Annotated[str, AfterValidator(_instance_type)]
BatchInstanceType = Annotated[str, AfterValidator(_batch_instance_type)]
PrincipalArn = Annotated[str, AfterValidator(_principal_arn)]
PolicyArn = Annotated[str, AfterValidator(_policy_arn)]


class NodeGroupInput(CamelCaseModel):
    """The managed node group for the cluster's own workloads (add-ons); Batch brings its own nodes."""

    model_config = ConfigDict(extra="forbid", strict=True)

    instance_type: InstanceType = "m5.large"
    desired_size: int = Field(default=2, ge=1, le=100)
    min_size: int = Field(default=1, ge=1, le=100)
    max_size: int = Field(default=3, ge=1, le=100)

    @model_validator(mode="after")
    def _sizes_in_order(self) -> Self:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy minSize <= desiredSize <= maxSize "
                f"(got {self.min_size} <= {self.desired_size} <= {self.max_size})"
            )
        return self


class WaitInput(CamelCaseModel):
    """How the workflow's check loops wait: a Wait of ``pollIntervalSeconds``, then one check, at most
    ``maxChecks`` times per resource before failing with ``WaitBoundExceeded``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # 0 is allowed: the embedded AWS answers at once, and its tests should not sleep.
    poll_interval_seconds: int = Field(default=30, ge=0, le=600)
    # 30 s x 80 = 40 minutes, over twice an EKS cluster's usual 10 to 15.
    max_checks: int = Field(default=80, ge=1, le=1000)


class EnvironmentRef(WaitInput):
    """Names the environment. Validate with ``context={"resource_prefix": ...}``: names start with it."""

    name: str = Field(description="The environment and its EKS cluster: starts with <ResourcePrefix>-.")

    @field_validator("name")
    @classmethod
    def _prefixed_name(cls, name: str, info: ValidationInfo) -> str:
        prefix = (info.context or {})["resource_prefix"]
        if not name.startswith(f"{prefix}-") or not _ENVIRONMENT_NAME.fullmatch(name):
            raise ValueError(
                f"starts with '{prefix}-' (this control plane's ResourcePrefix), then lowercase letters, "
                f"digits and hyphens, at most 100 characters, ending alphanumeric (got {name!r})"
            )
        return name


class ProvisionInput(EnvironmentRef):
    """``{"name": "doeks-aws-batch"}`` is enough: everything else defaults to the blueprint's."""

    INPUT_NAME: ClassVar[str] = "provision input"

    namespace: Namespace = Field(default=DEFAULT_NAMESPACE, description="The Batch namespace in the cluster.")
    kubernetes_version: str | None = Field(
        default=None,
        description="Default: the newest version EKS has in standard support that AWS Batch supports, "
        "chosen when provisioning runs.",
    )
    allow_extended_support: bool = Field(
        default=False,
        description="Accept a kubernetesVersion in EKS extended support, billed at the extended rate.",
    )
    cluster_admin_principal_arns: list[PrincipalArn] = Field(
        default_factory=list,
        max_length=20,
        description="IAM roles and users given cluster admin (an access entry with "
        "AmazonEKSClusterAdminPolicy) besides the stack's ClusterAdminPrincipalArns; one dropped from here "
        "loses its entry when provisioning runs again.",
    )
    access_mode: AccessMode = Field(
        default=AWS_AUTH,
        description="How AWS Batch gets into the cluster: aws-auth (the blueprint's: an API_AND_CONFIG_MAP "
        "cluster whose aws-auth maps Batch's roles) or batch-access-entry (an API cluster, Batch's own "
        "EKS access entry and an EC2_LINUX entry for its instance role; nothing reads or writes aws-auth).",
    )
    job_policy_arns: list[PolicyArn] = Field(
        default_factory=list,
        max_length=MAX_JOB_POLICIES,
        description="Managed policies attached to the environment's job role (<name>-job, under the "
        f"/<ResourcePrefix>-jobs/ path), at most {MAX_JOB_POLICIES} (IAM's default per role); what they "
        "grant is capped by the stack's JobRoleBoundary. Provisioning again attaches new ones and detaches "
        "none.",
    )
    node_group: NodeGroupInput = Field(default_factory=NodeGroupInput)
    max_vcpus: int = Field(default=256, ge=1, le=100_000, description="Each compute environment's maximum.")
    instance_types: list[BatchInstanceType] = Field(default_factory=lambda: ["optimal"], min_length=1)
    log_retention_days: int = Field(default=30, description="Container Insights log groups' retention.")
    rollback_on_failure: bool = Field(default=True, description="On failure, tear down what was created.")

    @field_validator("kubernetes_version")
    @classmethod
    def _batch_supports_it(cls, version: str | None) -> str | None:
        # Whether EKS offers it is known only from EKS, when provisioning runs.
        if version is not None and version not in BATCH_EKS_VERSIONS:
            raise ValueError(
                f"one of the versions AWS Batch supports on EKS: {', '.join(BATCH_EKS_VERSIONS)} "
                f"(got {version!r})"
            )
        return version

    @field_validator("cluster_admin_principal_arns")
    @classmethod
    def _each_once(cls, principals: list[str]) -> list[str]:
        repeated = sorted({p for p in principals if principals.count(p) > 1})
        if repeated:
            raise ValueError(f"each principal once (repeated: {', '.join(repeated)})")
        return principals

    @field_validator("job_policy_arns")
    @classmethod
    def _each_policy_once(cls, policies: list[str]) -> list[str]:
        repeated = sorted({p for p in policies if policies.count(p) > 1})
        if repeated:
            raise ValueError(f"each policy once (repeated: {', '.join(repeated)})")
        return policies

    @field_validator("log_retention_days")
    @classmethod
    def _retention_value(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"one of CloudWatch Logs' retention values, e.g. 7, 30, 90 (got {days})")
        return days


class TeardownInput(EnvironmentRef):
    """``{"name": ...}``: the environment to remove, and how to wait for each deletion."""

    INPUT_NAME: ClassVar[str] = "teardown input"


# CloudWatch Logs' PutRetentionPolicy accepts only these.
LOG_RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)
