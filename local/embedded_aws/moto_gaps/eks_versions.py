"""EKS's Kubernetes versions as AWS publishes them, which moto does not know (it creates any version, 1.19
when none is asked for, and has no DescribeClusterVersions):

- :data:`CALENDAR` is EKS's release calendar ("Amazon EKS Kubernetes release calendar",
  https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar):
  a version is in standard support from its EKS release for 14 months, then in extended support for 12,
  then unsupported. Extended support starts on the day standard support ends, UTC. Which day is "today" is
  the embedded AWS's (:meth:`VersionCalendar.set_today`; the real date unless set), so that a test's verdict
  does not change when the calendar moves.
- DescribeClusterVersions answers from it (the versions EKS offers, or every one with ``includeAll``), with
  each version's dates and ``versionStatus``.
- CreateCluster refuses a version EKS does not offer, or one past its extended support ("On the end of
  extended support date, you can no longer create new Amazon EKS clusters with the unsupported version");
  without a version it uses the default one. It keeps ``upgradePolicy`` (EKS's default ``EXTENDED``,
  https://docs.aws.amazon.com/eks/latest/APIReference/API_UpgradePolicyRequest.html), answered by
  DescribeCluster, and refuses ``STANDARD`` for a version already in extended support: extended support can
  be disabled only before a cluster enters it
  (https://docs.aws.amazon.com/eks/latest/userguide/disable-extended-support.html).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

from moto.core.responses import ActionResult
from moto.eks.models import Cluster
from moto.eks.responses import EKSResponse

from local.embedded_aws.moto_gaps.eks_api import add_operations, after, before, invalid

STANDARD_SUPPORT = "STANDARD_SUPPORT"
EXTENDED_SUPPORT = "EXTENDED_SUPPORT"
UNSUPPORTED = "UNSUPPORTED"
# The deprecated lowercase ``status`` the API still answers beside ``versionStatus``.
_OLD_STATUS = {
    STANDARD_SUPPORT: "standard-support",
    EXTENDED_SUPPORT: "extended-support",
    UNSUPPORTED: "unsupported",
}


@dataclass(frozen=True)
class KubernetesVersion:
    version: str
    eks_release: date
    end_of_standard_support: date
    end_of_extended_support: date
    platform_version: str
    patch_version: str

    def status(self, today: date) -> str | None:
        """Its support status on ``today``; None before EKS released it."""
        if today < self.eks_release:
            return None
        if today < self.end_of_standard_support:
            return STANDARD_SUPPORT
        if today < self.end_of_extended_support:
            return EXTENDED_SUPPORT
        return UNSUPPORTED


_row = KubernetesVersion

# EKS's release calendar: 1.29 to 1.34 as the EKS User Guide's table gives them; 1.35 (EKS release
# 2026-01-27, standard support to 2027-03-27, extended to 2028-03-27) as endoflife.date copies AWS's
# calendar, the User Guide's page available here stopping at 1.34. 1.36 (upstream 2026-04-22) is not on any
# page available here: it is entered with EKS's rule (14 months, then 12) from an EKS release on
# 2026-06-01, an approximation to replace with AWS's dates (docs/architecture.md, "The embedded AWS").
CALENDAR_ROWS = (
    _row("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23), "eks.61", "1.29.15"),
    _row("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23), "eks.58", "1.30.14"),
    _row("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26), "eks.50", "1.31.13"),
    _row("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23), "eks.34", "1.32.9"),
    _row("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29), "eks.27", "1.33.5"),
    _row("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2), "eks.13", "1.34.1"),
    _row("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27), "eks.3", "1.35.0"),
    _row("1.36", date(2026, 6, 1), date(2027, 8, 1), date(2028, 8, 1), "eks.1", "1.36.0"),
)


class VersionCalendar:
    """The calendar, and the day the embedded AWS says it is (process-wide, like moto's backends)."""

    def __init__(self, rows: tuple[KubernetesVersion, ...]):
        self.rows = {row.version: row for row in rows}
        self._today: date | None = None
        self._lock = threading.Lock()

    def set_today(self, today: date | None) -> None:
        """Pin "today" (None: the real date, UTC)."""
        with self._lock:
            self._today = today

    def today(self) -> date:
        with self._lock:
            return self._today or datetime.now(UTC).date()

    def status(self, version: str) -> str | None:
        """The version's status today; None when EKS does not know it or has not released it yet."""
        row = self.rows.get(version)
        return row.status(self.today()) if row is not None else None

    def offered(self) -> list[KubernetesVersion]:
        """What EKS lets a new cluster run: released and not past extended support, newest first."""
        return [
            row
            for row in self.newest_first()
            if self.status(row.version) in (STANDARD_SUPPORT, EXTENDED_SUPPORT)
        ]

    def default_version(self) -> str | None:
        """The newest version in standard support: what CreateCluster uses when none is asked for."""
        standard = [
            row.version for row in self.newest_first() if self.status(row.version) == STANDARD_SUPPORT
        ]
        return standard[0] if standard else None

    def newest_first(self) -> list[KubernetesVersion]:
        return sorted(
            self.rows.values(), key=lambda row: tuple(int(p) for p in row.version.split(".")), reverse=True
        )


CALENDAR = VersionCalendar(CALENDAR_ROWS)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _view(row: KubernetesVersion, default: str | None) -> dict[str, object]:
    status = CALENDAR.status(row.version) or UNSUPPORTED
    return {
        "clusterVersion": row.version,
        "clusterType": "eks",
        "defaultPlatformVersion": row.platform_version,
        "defaultVersion": row.version == default,
        "releaseDate": _midnight(row.eks_release),
        "endOfStandardSupportDate": _midnight(row.end_of_standard_support),
        "endOfExtendedSupportDate": _midnight(row.end_of_extended_support),
        "status": _OLD_STATUS[status],
        "versionStatus": status,
        "kubernetesPatchVersion": row.patch_version,
    }


def describe_cluster_versions(self: EKSResponse) -> ActionResult:
    query = self.querystring
    include_all = (query.get("includeAll") or ["false"])[0] == "true"
    default_only = (query.get("defaultOnly") or ["false"])[0] == "true"
    wanted = set(query.get("clusterVersions") or [])
    wanted_status = (query.get("versionStatus") or [None])[0]
    old_status = (query.get("status") or [None])[0]
    default = CALENDAR.default_version()
    rows = CALENDAR.newest_first() if include_all else CALENDAR.offered()
    answer = []
    for row in rows:
        status = CALENDAR.status(row.version)
        if status is None:  # not released yet: EKS does not list it
            continue
        if wanted and row.version not in wanted:
            continue
        if default_only and row.version != default:
            continue
        if wanted_status and status != wanted_status:
            continue
        if old_status and _OLD_STATUS[status] != old_status:
            continue
        answer.append(_view(row, default))
    return ActionResult({"clusterVersions": answer})


def _check_create_cluster(request: EKSResponse) -> None:
    version = request._get_param("version")
    if version is not None:
        status = CALENDAR.status(version)
        if status is None:
            raise invalid(f"unsupported Kubernetes version {version}", clusterName=request._get_param("name"))
        if status == UNSUPPORTED:
            raise invalid(
                f"unsupported Kubernetes version {version}: its extended support ended on "
                f"{CALENDAR.rows[version].end_of_extended_support.isoformat()}",
                clusterName=request._get_param("name"),
            )
    elif CALENDAR.default_version() is None:
        raise invalid("no default Kubernetes version is in standard support: name one")
    support_type = (request._get_param("upgradePolicy") or {}).get("supportType", "EXTENDED")
    chosen = version or CALENDAR.default_version()
    if support_type == "STANDARD" and chosen is not None and CALENDAR.status(chosen) == EXTENDED_SUPPORT:
        raise invalid(
            f"Kubernetes version {chosen} is in extended support: its upgrade policy cannot be STANDARD "
            "(extended support can be disabled only before a cluster enters it)",
            clusterName=request._get_param("name"),
        )


def _keep_version_and_policy(request: EKSResponse, cluster: Cluster) -> None:
    if request._get_param("version") is None:
        cluster.version = CALENDAR.default_version() or cluster.version
    support_type = (request._get_param("upgradePolicy") or {}).get("supportType", "EXTENDED")
    cluster.upgrade_policy = {"supportType": support_type}  # type: ignore[attr-defined]


def _answer_policy(request: EKSResponse, cluster: Cluster) -> None:
    if getattr(cluster, "upgrade_policy", None) is None:  # created before install(): EKS's default
        cluster.upgrade_policy = {"supportType": "EXTENDED"}  # type: ignore[attr-defined]


def install() -> None:
    add_operations({"describe_cluster_versions": describe_cluster_versions}, ("{0}/cluster-versions$",))
    before("create_cluster", _check_create_cluster)
    after("create_cluster", _keep_version_and_policy)
    after("describe_cluster", _answer_policy)
