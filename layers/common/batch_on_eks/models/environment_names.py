"""What an environment's resources are called and tagged: one place, used by the
provision and teardown steps alike, so that teardown finds exactly what provisioning made."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# On every resource the control plane creates for an environment: teardown touches only what carries it.
ENVIRONMENT_TAG = "batch-on-eks:environment"

NODE_GROUP = "core-node-group"
# The cluster's managed add-ons (docs/architecture.md, "Provisioning").
ADDONS = (
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
    "amazon-cloudwatch-observability",
)
# Container Insights writes to these groups; they are created up front, with a retention.
CONTAINER_INSIGHTS_GROUPS = ("application", "dataplane", "host", "performance")


@dataclass(frozen=True)
class QueueKind:
    """One of the environment's two capacity kinds: a compute environment and its job queue."""

    role: str  # the key in the environment's ``jobQueues`` ("onDemand", "spot")
    suffix: str  # in the names: CE1_<suffix>, JQ1_<suffix>
    compute_type: str  # Batch's computeResources.type
    allocation_strategy: str


ON_DEMAND = QueueKind("onDemand", "OD", "EC2", "BEST_FIT_PROGRESSIVE")
SPOT = QueueKind("spot", "SPOT", "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED")
QUEUE_KINDS = (ON_DEMAND, SPOT)


def queue_kind(role: str) -> QueueKind:
    for kind in QUEUE_KINDS:
        if kind.role == role:
            return kind
    raise ValueError(f"unknown queue kind {role!r}; expected one of {[k.role for k in QUEUE_KINDS]}")


def compute_environment_name(environment: str, kind: QueueKind) -> str:
    return f"{environment}-CE1_{kind.suffix}"


def job_queue_name(environment: str, kind: QueueKind) -> str:
    return f"{environment}-JQ1_{kind.suffix}"


def hello_world_job_definition(environment: str) -> str:
    return f"{environment}-hello-world"


def log_group_prefix(environment: str) -> str:
    return f"/aws/containerinsights/{environment}/"


def log_group_names(environment: str) -> list[str]:
    return [log_group_prefix(environment) + group for group in CONTAINER_INSIGHTS_GROUPS]


def environment_tags(environment: str) -> dict[str, str]:
    return {ENVIRONMENT_TAG: environment}


# IAM's limit on a role's name; an environment's name may have 100 characters (EKS's limit on a cluster's).
ROLE_NAME_LIMIT = 64
_JOB_ROLE_SUFFIX = "-job"


def job_role_name(environment: str) -> str:
    """The environment's job role: ``<environment>-job``, or, where that passes IAM's 64 characters, the
    name's beginning, 8 hex digits of its SHA-256 and ``-job``: the hash keeps two long names that share a
    beginning apart, and the same name always gives the same role (a retried step and teardown find it)."""
    whole = f"{environment}{_JOB_ROLE_SUFFIX}"
    if len(whole) <= ROLE_NAME_LIMIT:
        return whole
    digest = hashlib.sha256(environment.encode()).hexdigest()[:8]
    keep = ROLE_NAME_LIMIT - len(digest) - 1 - len(_JOB_ROLE_SUFFIX)
    return f"{environment[:keep].rstrip('-')}-{digest}{_JOB_ROLE_SUFFIX}"


def job_role_path(resource_prefix: str) -> str:
    """The IAM path of the stack's job roles: what the control plane's IAM rights on them are scoped to."""
    return f"/{resource_prefix}-jobs/"
