"""Kubernetes versions: the ones AWS Batch supports for EKS compute environments (one list, here), and a
version as EKS's DescribeClusterVersions reports it.

Which version an environment gets is decided at provision time, from what EKS reports that day
(:mod:`batch_on_eks.environments.kubernetes_version`): this module holds no default.
"""

from __future__ import annotations

from dataclasses import dataclass

# "Supported Kubernetes versions", AWS Batch User Guide
# (https://docs.aws.amazon.com/batch/latest/userguide/supported_kubernetes_version.html), as the page lists
# them on 2026-12-06. Batch refuses a compute environment whose nodes would run another one ("At least one
# imageKubernetesVersion in EC2Configuration is not supported.").
BATCH_EKS_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36")
BATCH_VERSIONS_SOURCE = "https://docs.aws.amazon.com/batch/latest/userguide/supported_kubernetes_version.html"

# EKS's versionStatus values (DescribeClusterVersions).
STANDARD_SUPPORT = "STANDARD_SUPPORT"
EXTENDED_SUPPORT = "EXTENDED_SUPPORT"
UNSUPPORTED = "UNSUPPORTED"


def version_key(version: str) -> tuple[int, ...]:
    """Sorts ``1.9`` before ``1.10``."""
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class ClusterVersion:
    """A Kubernetes version as EKS reports it: its support status today and the dates it changes
    (``YYYY-MM-DD``, UTC)."""

    version: str
    status: str
    end_of_standard_support: str | None
    end_of_extended_support: str | None
