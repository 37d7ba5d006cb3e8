"""Follow a provision or teardown execution live: each step as it completes, and each turn of a wait loop.

Two sources, both what a person has on AWS:

- the environment's ``timeline`` in the environments table: every step that completes appends what it
  did ("node group core-node-group requested", "compute environment ...: VALID");
- the execution's history: a check state (``CheckCluster``, ``CheckNodegroupDeleted``...) that exits with
  ``wait.ready`` false is one more turn of its bounded loop, shown as ``check n of maxChecks``.

Lines are printed with the time each thing happened, in that order, a moment after (one poll).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.demo.console import say
from local.embedded_aws.server import EmbeddedAws

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class _Line:
    at: datetime
    text: str


class WorkflowProgress:
    """Create it before starting the execution: what the timeline held before is not this execution's."""

    def __init__(self, aws: EmbeddedAws, environments_table: str, environment: str):
        self._aws = aws
        self._table = environments_table
        self._environment = environment
        self._timeline_seen = len(self._timeline())
        self._events_seen: set[int] = set()

    def follow(self, execution_arn: str, bound_seconds: float) -> dict[str, Any]:
        """Print until the execution ends (then once more, for the last steps); its DescribeExecution."""
        sfn = self._aws.client("stepfunctions")
        deadline = time.monotonic() + bound_seconds
        while True:
            description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            self._print_new(execution_arn)
            if description["status"] != "RUNNING":
                return description
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still RUNNING after {bound_seconds:.0f} s")
            time.sleep(POLL_SECONDS)

    def _print_new(self, execution_arn: str) -> None:
        lines = self._new_checks(execution_arn) + self._new_steps()
        for line in sorted(lines, key=lambda line: line.at):
            say(line.text, at=line.at)

    def _timeline(self) -> list[dict[str, Any]]:
        item = (
            self._aws.client("dynamodb")
            .get_item(TableName=self._table, Key={"name": {"S": self._environment}}, ConsistentRead=True)
            .get("Item")
        )
        return [entry["M"] for entry in ((item or {}).get("timeline") or {}).get("L", [])]

    def _new_steps(self) -> list[_Line]:
        timeline = self._timeline()
        new, self._timeline_seen = timeline[self._timeline_seen :], len(timeline)
        lines = []
        for entry in new:
            step = entry["step"]["S"] + (f" ({entry['kind']['S']})" if "kind" in entry else "")
            at = datetime.fromisoformat(entry["at"]["S"].replace("Z", "+00:00"))
            lines.append(_Line(at, f"  {step:<34} {entry['detail']['S']}"))
        return lines

    def _new_checks(self, execution_arn: str) -> list[_Line]:
        lines = []
        for event in self._aws.execution_history(execution_arn):
            if event["id"] in self._events_seen:
                continue
            self._events_seen.add(event["id"])
            details = event.get("stateExitedEventDetails") or {}
            if event["type"] != "TaskStateExited" or not details.get("name", "").startswith("Check"):
                continue
            output = json.loads(details.get("output") or "{}")
            wait, config = output.get("wait") or {}, output.get("config") or {}
            if wait.get("ready") is False:
                lines.append(
                    _Line(
                        event["timestamp"],
                        f"  {details['name']:<34} not yet: check {wait.get('checks')} of "
                        f"{config.get('maxChecks')}, next in {config.get('pollIntervalSeconds')} s",
                    )
                )
        return lines
