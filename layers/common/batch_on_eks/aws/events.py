"""EventBridge: publish the control plane's own events on the account's default event bus."""

from __future__ import annotations

import json
from typing import Any

from batch_on_eks.aws.clients import client


class PublishFailed(Exception):
    """EventBridge took the request but refused the event (PutEvents reports that per entry, not as an
    error)."""


def publish(source: str, detail_type: str, detail: dict[str, Any], resources: list[str]) -> str:
    """Put one event on the default bus; returns its event id. Raises PublishFailed if it was refused."""
    answer = client("events").put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":")),
                "Resources": resources,
            }
        ]
    )
    entry = answer["Entries"][0]
    if answer.get("FailedEntryCount") or "EventId" not in entry:
        raise PublishFailed(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
    return str(entry["EventId"])
