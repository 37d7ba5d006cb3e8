"""One place that runs a provision or teardown step: the handlers of the step functions hand it their
table of actions and the event.

- The event names its ``action`` and carries the environment's ``config`` (what the first step resolved
  from the execution's input), and for a check, how many checks came before.
- A step that completes is appended to the environment's timeline, with the resource names and ARNs it
  made (the environments table keeps them for people and for teardown).
- A failure leaves as a named error whose Cause is JSON naming the step, the error and AWS's reason: the
  workflow's failure handler records exactly that on the environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.environments.records import timeline_entry
from batch_on_eks.errors import AwsRequestFailed, ControlPlaneError, WaitBoundExceeded, cause


@dataclass(frozen=True)
class StepResult:
    """What a step returns to the workflow (``output``), keeps on the environment (``resources``, set by
    dotted key, e.g. ``resources.clusterArn``), and says on its timeline (``timeline``; None: nothing)."""

    output: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    timeline: str | None = None


@dataclass(frozen=True)
class StepEvent:
    action: str
    config: dict[str, Any]
    checks: int
    kind: str | None
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.config["name"])


Step = Callable[[StepEvent], StepResult]


def check_result(event: StepEvent, ready: bool, what: str, state: str | None) -> StepResult:
    """A check loop's answer: ready, or not yet (then the workflow waits and checks again), or, when this
    was the last check ``maxChecks`` allows, WaitBoundExceeded naming the resource and its state."""
    checks = event.checks + 1
    if ready:
        return StepResult(output={"ready": True, "checks": checks}, timeline=f"{what}: {state}")
    max_checks = int(event.config["maxChecks"])
    if checks >= max_checks:
        interval = event.config["pollIntervalSeconds"]
        raise WaitBoundExceeded(
            f"{what} still {state} after {checks} checks {interval} s apart (maxChecks {max_checks})"
        )
    return StepResult(output={"ready": False, "checks": checks})


def _reason(error: Exception) -> Any:
    text = str(error)
    try:
        return json.loads(text)
    except ValueError:
        return text


def run_step(steps: Mapping[str, Step], event: Mapping[str, Any], store: EnvironmentStore) -> dict[str, Any]:
    action = event.get("action")
    if not isinstance(action, str) or action not in steps:
        raise ValueError(f"unknown action {action!r}; this function does {sorted(steps)}")
    step_event = StepEvent(
        action=action,
        config=dict(event["config"]),
        checks=int(event.get("checks") or 0),
        kind=event.get("kind"),
        raw=dict(event),
    )
    try:
        result = steps[action](step_event)
    except AwsRequestFailed as error:
        # AWS's own code and message: what a person can look up.
        error.args = (cause(step=action, error=error.code, reason=error.reason),)
        raise
    except ControlPlaneError as error:
        # Same error name for the workflow's Catch; the Cause says where and why.
        error.args = (cause(step=action, error=type(error).__name__, reason=_reason(error)),)
        raise
    if result.resources or result.timeline is not None:
        entry = None
        if result.timeline is not None:
            entry = timeline_entry(action, result.timeline, step_event.kind)
        store.update(
            step_event.name, {f"resources.{key}": value for key, value in result.resources.items()}, entry
        )
    return result.output
