"""What an environment's resources are called and tagged: one place, used by the
provision and teardown steps alike, so that teardown finds exactly what provisioning made."""

from __future__ import annotations

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
