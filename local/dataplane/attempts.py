"""A Batch job's attempts as DescribeJobs reports them (``eksAttempts``: pod, node, containers, exit codes),
and Batch's decision to retry one (``retryStrategy.evaluateOnExit``)."""

from __future__ import annotations

import fnmatch
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ContainerRun:
    name: str
    image: str
    argv: list[str]
    env: dict[str, str]
    container_id: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)
    exit_code: int | None = None
    reason: str | None = None


@dataclass
class Attempt:
    pod_name: str
    node_name: str
    containers: list[ContainerRun]
    started_at: int | None = None
    stopped_at: int | None = None
    status_reason: str | None = None

    def describe(self, cluster_arn: str, namespace: str) -> dict[str, Any]:
        attempt: dict[str, Any] = {
            "containers": [
                {
                    "name": c.name,
                    "containerID": c.container_id,
                    **({"exitCode": c.exit_code} if c.exit_code is not None else {}),
                    **({"reason": c.reason} if c.reason else {}),
                }
                for c in self.containers
            ],
            "eksClusterArn": cluster_arn,
            "podName": self.pod_name,
            "podNamespace": namespace,
            "nodeName": self.node_name,
        }
        if self.started_at is not None:
            attempt["startedAt"] = self.started_at
        if self.stopped_at is not None:
            attempt["stoppedAt"] = self.stopped_at
        if self.status_reason:
            attempt["statusReason"] = self.status_reason
        return attempt


def _matches(pattern: str | None, value: str) -> bool:
    """Batch's evaluateOnExit matching: exact, or a prefix when the pattern ends with ``*``."""
    if pattern is None:
        return True
    return fnmatch.fnmatchcase(value, pattern) if pattern.endswith("*") else value == pattern


def retry_decision(
    evaluate_on_exit: list[dict[str, Any]], status_reason: str, reason: str, exit_code: int | None
) -> str | None:
    """The action (RETRY/EXIT) of the first evaluateOnExit condition that matches, or None."""
    for condition in evaluate_on_exit:
        if (
            _matches(condition.get("onStatusReason"), status_reason)
            and _matches(condition.get("onReason"), reason)
            and _matches(condition.get("onExitCode"), "" if exit_code is None else str(exit_code))
        ):
            return str(condition["action"]).upper()
    return None
