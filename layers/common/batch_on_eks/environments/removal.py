"""Removing an environment's EKS resources the way EKS allows, and knowing which are the environment's:
what the EKS and add-on steps share.

EKS refuses to delete a cluster, node group or add-on while it is being created or updated
(ResourceInUseException). The delete step deletes what it can; each check of the wait loop deletes what has
become deletable since, until everything is gone or the loop's bound is hit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from batch_on_eks.environments.steps import StepEvent, StepResult, check_result
from batch_on_eks.errors import ResourceFailed, ResourceNotOwned
from batch_on_eks.models.environment_names import ENVIRONMENT_TAG
from batch_on_eks.models.resources import AwsResource

_NOT_DELETABLE = ("CREATING", "UPDATING", "DELETING")


def owned[R: AwsResource](found: R | None, environment: str, what: str) -> R | None:
    """``found`` if it is this environment's (tagged so), None if it does not exist; otherwise refuse."""
    if found is not None and found.tags.get(ENVIRONMENT_TAG) != environment:
        raise ResourceNotOwned(
            f"{what} exists but is not tagged {ENVIRONMENT_TAG}={environment}: it was not made by this "
            f"control plane for this environment, so it is left alone"
        )
    return found


@dataclass(frozen=True)
class Deletable:
    what: str
    found: AwsResource | None  # its Describe; None: gone
    delete: Callable[[], None]


def _delete_what_can_be(items: list[Deletable], *, retry_failed: bool) -> list[str]:
    """Delete each item whose status allows it; returns what is still there, with its status."""
    remaining = []
    for item in items:
        if item.found is None:
            continue
        status = item.found.status
        if status == "DELETE_FAILED" and not retry_failed:
            raise ResourceFailed(f"{item.what} DELETE_FAILED: {item.found.why}")
        if status not in _NOT_DELETABLE:
            item.delete()
            status = "DELETING"
        remaining.append(f"{item.what} {status}")
    return remaining


def start_removal(items: list[Deletable]) -> StepResult:
    remaining = _delete_what_can_be(items, retry_failed=True)
    return StepResult(
        output={"ready": False, "checks": 0},
        timeline=f"removing: {', '.join(remaining)}" if remaining else "nothing to remove",
    )


def check_removal(event: StepEvent, items: list[Deletable], what: str) -> StepResult:
    remaining = _delete_what_can_be(items, retry_failed=False)
    return check_result(event, not remaining, what, ", ".join(remaining) or "gone")
