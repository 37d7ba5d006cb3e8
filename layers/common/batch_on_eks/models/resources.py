"""An environment's AWS resources as the aws layer describes them: what the provision and teardown steps
decide on (does it exist, is it ours, is it ready), never a boto3 response (its datetimes cannot go into an
execution's state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AwsResource:
    """A cluster, node group, add-on, compute environment or job queue."""

    name: str
    arn: str | None
    status: str | None
    tags: dict[str, str] = field(default_factory=dict)
    state: str | None = None  # Batch's ENABLED or DISABLED
    status_reason: str | None = None  # Batch's reason for the status
    issues: tuple[str, ...] = ()  # EKS's health issues

    @property
    def why(self) -> str:
        """AWS's own reason for the status, for a person."""
        return "; ".join(self.issues) or self.status_reason or "no reason given"


@dataclass(frozen=True)
class EksCluster(AwsResource):
    endpoint: str | None = None
    certificate_authority: str | None = None  # base64 PEM, as DescribeCluster gives it
    version: str | None = None  # its Kubernetes version
    support_type: str | None = None  # its upgradePolicy: STANDARD or EXTENDED
    # The security group EKS created for the cluster: on its control plane's network interfaces and its
    # managed nodes, admitting all traffic from its own members.
    security_group_id: str | None = None
    authentication_mode: str | None = None  # accessConfig.authenticationMode


@dataclass(frozen=True)
class JobDefinitionRevision:
    """One revision of a job definition: what a run's Validate step and the provisioning's re-run check."""

    arn: str
    name: str
    revision: int
    status: str
    tags: dict[str, str] = field(default_factory=dict)
    eks_properties: dict[str, Any] | None = None
    retry_strategy: dict[str, Any] | None = None
