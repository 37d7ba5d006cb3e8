"""Which Kubernetes version an environment's cluster runs, decided when it is provisioned from what EKS
reports that day (DescribeClusterVersions) and what AWS Batch supports (one list:
:data:`~batch_on_eks.models.kubernetes_versions.BATCH_EKS_VERSIONS`).

- No version asked for: the newest one EKS has in standard support that Batch supports. Its upgrade policy
  is ``STANDARD``: at the end of standard support EKS upgrades the control plane rather than bill extended
  support ($0.60 instead of $0.10 a cluster hour; models/prices.py).
- A version asked for: it must be one Batch supports and EKS offers. In standard support, policy
  ``STANDARD``; in extended support only with ``allowExtendedSupport`` (then ``EXTENDED``, so that EKS does
  not upgrade it underneath the environment, and a warning says what it costs); past extended support, or
  not listed by EKS, it is refused.
- An environment whose cluster exists already keeps its cluster's version: provisioning never upgrades it.

A refusal is ``InvalidInput`` naming ``kubernetesVersion``, raised before anything is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from batch_on_eks.aws import eks
from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.kubernetes_versions import (
    BATCH_EKS_VERSIONS,
    EXTENDED_SUPPORT,
    STANDARD_SUPPORT,
    ClusterVersion,
    version_key,
)

FIELD = "kubernetesVersion"


@dataclass(frozen=True)
class VersionChoice:
    version: str
    support_type: str  # the cluster's upgradePolicy: STANDARD or EXTENDED
    status: str  # EKS's versionStatus today
    end_of_standard_support: str | None
    warnings: list[str] = field(default_factory=list)


def _refused(rule: str) -> InvalidInput:
    return InvalidInput.field(FIELD, rule)


def choose_version(requested: str | None, allow_extended: bool, environment: str) -> VersionChoice:
    """The version, policy and warnings for provisioning ``environment``; InvalidInput when it cannot be."""
    known = {v.version: v for v in eks.cluster_versions()}
    cluster = eks.describe_cluster(environment)
    if cluster is not None and cluster.version is not None:
        if requested is not None and requested != cluster.version:
            raise _refused(
                f"the cluster of {environment} runs {cluster.version}: provisioning does not change a "
                f"cluster's version (asked for {requested!r})"
            )
        requested = cluster.version
    if requested is None:
        return _newest_in_standard_support(known)
    offered = known.get(requested)
    if offered is None or offered.status not in (STANDARD_SUPPORT, EXTENDED_SUPPORT):
        ended = f" (its extended support ended {offered.end_of_extended_support})" if offered else ""
        raise _refused(
            f"a version EKS offers: {', '.join(_offered(known))}; EKS does not offer {requested!r}{ended}"
        )
    if offered.status == STANDARD_SUPPORT:
        return VersionChoice(requested, "STANDARD", offered.status, offered.end_of_standard_support)
    if not allow_extended:
        raise _refused(
            f"{requested} is in EKS extended support since {offered.end_of_standard_support}, billed at the "
            f"extended rate: set allowExtendedSupport to true to accept it, or choose one in standard "
            f"support ({', '.join(_offered(known, STANDARD_SUPPORT))})"
        )
    warning = (
        f"Kubernetes {requested} is in EKS extended support (standard support ended "
        f"{offered.end_of_standard_support}; extended support ends {offered.end_of_extended_support}, when "
        f"EKS upgrades the cluster): the control plane is billed at the extended rate"
    )
    return VersionChoice(requested, "EXTENDED", offered.status, offered.end_of_standard_support, [warning])


def _offered(known: dict[str, ClusterVersion], *statuses: str) -> list[str]:
    wanted = statuses or (STANDARD_SUPPORT, EXTENDED_SUPPORT)
    return sorted(
        (v for v in known if known[v].status in wanted and v in BATCH_EKS_VERSIONS),
        key=version_key,
        reverse=True,
    )


def _newest_in_standard_support(known: dict[str, ClusterVersion]) -> VersionChoice:
    candidates = _offered(known, STANDARD_SUPPORT)
    if not candidates:
        raise _refused(
            f"no version is both in EKS standard support ({', '.join(sorted(known, key=version_key))} known) "
            f"and supported by AWS Batch ({', '.join(BATCH_EKS_VERSIONS)}): name one with "
            f"allowExtendedSupport"
        )
    newest = known[candidates[0]]
    return VersionChoice(newest.version, "STANDARD", newest.status, newest.end_of_standard_support)
