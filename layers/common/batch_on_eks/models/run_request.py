"""The events that start a run: a client's "Run Job Requested" event, or a tick of the stack's schedule
(EventBridge's "Scheduled Event", shaped by the schedule rule's input transformer into the same envelope:
``id``, ``detail-type``, and the run-job input as ``detail``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunRequestEvent(BaseModel):
    """Only what the entry point needs; the run-job workflow's Validate step checks ``detail`` itself (a bad
    input fails that run with ``InvalidInput`` naming the field, where people look for it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    detail_type: str = Field(alias="detail-type")
    source: str = ""
    detail: dict[str, Any]
