"""Starting a workflow for a request, once: what an accepted request hands back, and idempotent replays.

A request with an ``Idempotency-Key`` names its execution after the key (:mod:`.execution_names`). Sent
again, it finds that execution: if it was started with the same input, the request is a replay and gets
the first answer again; with another input the key was reused for a different request, which is refused
rather than silently answered with the first request's execution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.errors import IdempotencyKeyReused

IDEMPOTENCY_FIELD = "Idempotency-Key"


@dataclass(frozen=True)
class Accepted:
    """A request that a workflow now carries out (or already did: ``started`` is False then)."""

    id: str  # the environment's name, or the run's id (its execution's name)
    execution_arn: str
    started: bool


def _same(recorded: Any, execution_input: dict[str, Any]) -> bool:
    return bool(recorded == json.loads(json.dumps(execution_input)))


def earlier_execution(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> str | None:
    """The ARN of the execution an earlier request with the same key started, if there is one.

    Raises IdempotencyKeyReused when that execution was started with another input.
    """
    arn = executions.execution_arn(state_machine_arn, name)
    found = executions.describe(arn)
    if found is None:
        return None
    if not _same(found.input, execution_input):
        raise IdempotencyKeyReused(
            f"this Idempotency-Key already started {found.arn} for a different request; use a new key",
            IDEMPOTENCY_FIELD,
        )
    return found.arn


def start_once(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> tuple[str, bool]:
    """Start the execution; when one of that name appeared meanwhile (the same key, concurrently), it is
    the answer if it has the same input. Returns ``(arn, started)``."""
    started = executions.start(state_machine_arn, name, execution_input)
    if started.new:
        return started.execution_arn, True
    earlier = earlier_execution(state_machine_arn, name, execution_input)
    return earlier or started.execution_arn, False
