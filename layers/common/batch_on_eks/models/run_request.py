"""The events that start a run: a client's "Run Job Requested" event, or a tick of the stack's schedule
(EventBridge's "Scheduled Event", shaped by the schedule rule's input transformer into the same envelope:
``id``, ``detail-type``, and the run-job input as ``detail``).

A plain dataclass (:mod:`.json_model`), not pydantic: the entry point that reads it starts runs, on every
run's path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from batch_on_eks.models.json_model import JsonModel, json_model


@json_model
@dataclass(frozen=True)
class RunRequestEvent(JsonModel):
    """Only what the entry point needs; the run-job workflow's Validate step checks ``detail`` itself (a bad
    input fails that run with ``InvalidInput`` naming the field, where people look for it)."""

    id: str
    detail_type: str = field(metadata={"json": "detail-type"})
    detail: dict[str, Any]
    source: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("id: an event's id is never empty")
