"""An environment's record in the environments table, as the workflows and the API write it: claiming it for
the execution that will provision or tear it down, and its timeline entries.

Both the workflows' first step and the API's requests (which claim for the execution they are about to
start) follow one claim rule, so a conflict is decided the same way wherever it is met; each says it in its
own terms (a named error in a workflow, an HTTP status in the API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.aws.environments_table import ClaimRefused, EnvironmentStore
from batch_on_eks.clock import iso, now_ms
from batch_on_eks.models.environment import HELD, Environment
from batch_on_eks.models.environment import EnvironmentStatus as Status

# A request claims the record for the execution it is about to start, which does not exist until its
# StartExecution has returned: a claim this young whose execution is missing still holds. (One whose request
# died before starting it frees the environment once it is older.)
START_GRACE_MS = 60_000


def claim(
    store: EnvironmentStore,
    name: str,
    status: Status,
    execution_arn: str,
    leave_from: tuple[Status, ...],
    fields: dict[str, Any],
    refuse: Callable[[str, ClaimRefused], Exception],
) -> Environment | None:
    """Move environment ``name`` to ``status`` for ``execution_arn``; returns the record as it was before
    (None if new).

    The claim succeeds when the environment is new, in one of ``leave_from``, already this execution's (a
    retried step), or held by an execution that has ended without finishing (stopped, timed out, failed
    before its failure handler ran), which is taken over; so is a claim for an execution that was never
    started, once it is older than START_GRACE_MS. Otherwise (a running execution holds it, it rests in a
    status the claim may not leave, or someone else took it over first) it raises what ``refuse`` makes of
    the environment's name and the refusal.
    A new provisioning forgets the last failure; a teardown keeps it (a rollback shows why it runs).
    """
    statuses = tuple(s.value for s in leave_from)
    clear_failure = status is Status.PROVISIONING
    try:
        return store.claim(
            name, status.value, execution_arn, statuses, fields, at_ms=now_ms(), clear_failure=clear_failure
        )
    except ClaimRefused as refused:
        holder = refused.execution_arn
        if refused.status not in HELD or holder is None or _still_holds(holder, refused.claimed_at):
            raise refuse(name, refused) from None
    try:
        return store.claim(
            name,
            status.value,
            execution_arn,
            statuses,
            fields,
            at_ms=now_ms(),
            take_over_from=holder,
            clear_failure=clear_failure,
        )
    except ClaimRefused as again:  # someone else took it over first
        raise refuse(name, again) from None


def _still_holds(holder: str, claimed_at: int | None) -> bool:
    found = executions.describe(holder)
    if found is None:  # not started yet, or its request died first
        return claimed_at is not None and now_ms() - claimed_at < START_GRACE_MS
    return found.status == "RUNNING"


def timeline_entry(step: str, detail: str, kind: str | None = None) -> dict[str, Any]:
    """One entry of the environment's step timeline, stamped now."""
    entry = {"step": step, "at": iso(now_ms()), "detail": detail}
    if kind:
        entry["kind"] = kind
    return entry
