"""Readiness: a freshly created EKS cluster, node group or add-on, or Batch compute environment, starts in
its creating status and becomes ready (or fails) as :data:`READINESS` says; moto makes each ready at once.

By default a resource is ready at the first Describe after its creation. Tests and the demo hold one for
some Describes, for ever, or until it fails, to see what a caller of the real, slower API sees.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("cluster", "nodegroup", "addon", "compute-environment")


@dataclass
class _Hold:
    describes: int | None
    fail_reason: str | None


@dataclass
class Lifecycle:
    """Per resource: how many Describes saw it creating, and where it ended."""

    describes_seen: int = 0
    phase: str = "creating"  # creating | ready | failed
    reason: str | None = None


class ReadinessPolicy:
    """How long a freshly created resource stays in its creating status.

    Default (no hold): ready at the first Describe after its creation. A hold is looked up at each
    Describe by kind and name (for node groups and add-ons, ``name`` or ``cluster/name``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: dict[tuple[str, str], _Hold] = {}

    def hold(self, kind: str, name: str, describes: int | None, *, fail_reason: str | None = None) -> None:
        """Keep resource `name` of `kind` in its creating status for `describes` Describe calls (None = never ready).
        With fail_reason, after those describes it goes to its failed status (CE: INVALID with statusReason=fail_reason; cluster/nodegroup/addon: FAILED / CREATE_FAILED with the reason in health/issues as AWS shows it)."""  # noqa: E501
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
        if describes is not None and describes < 0:
            raise ValueError("describes must be >= 0 or None")
        with self._lock:
            self._holds[(kind, name)] = _Hold(describes, fail_reason)

    def reset(self) -> None:
        """Forget every hold (resources already ready or failed stay so)."""
        with self._lock:
            self._holds.clear()

    def observe(self, kind: str, names: tuple[str, ...], lifecycle: Lifecycle) -> Lifecycle:
        """Count one Describe of a resource and move it on when its hold is over."""
        with self._lock:
            if lifecycle.phase != "creating":
                return lifecycle
            hold = next((self._holds[(kind, n)] for n in names if (kind, n) in self._holds), None)
            limit = hold.describes if hold else 0
            if limit is None or lifecycle.describes_seen < limit:
                lifecycle.describes_seen += 1
                return lifecycle
            if hold is not None and hold.fail_reason is not None:
                lifecycle.phase, lifecycle.reason = "failed", hold.fail_reason
            else:
                lifecycle.phase = "ready"
            return lifecycle


READINESS = ReadinessPolicy()


def start_creating(resource: Any) -> None:
    """A resource just created: it stays creating until :data:`READINESS` lets it be ready or failed."""
    resource._gap_lifecycle = Lifecycle()


def lifecycle_after_describe(kind: str, names: tuple[str, ...], resource: Any) -> Lifecycle:
    """Where the resource is, counting this Describe of it."""
    lifecycle = getattr(resource, "_gap_lifecycle", None)
    if lifecycle is None:  # created before install(), or by moto itself (e.g. CloudFormation): ready
        lifecycle = Lifecycle(phase="ready")
        resource._gap_lifecycle = lifecycle
    if lifecycle.phase == "creating":
        READINESS.observe(kind, names, lifecycle)
    return lifecycle
