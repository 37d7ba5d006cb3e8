"""The "Batch Job State Change" EventBridge event as the job-events function receives it: the envelope, and
its ``detail`` (:class:`.job_event.BatchJobDetail`). Apart from the detail's module, which every hot-path
function imports: only the job-events function reads the envelope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.json_model import JsonModel, json_model


@json_model
@dataclass(frozen=True, kw_only=True)
class EventBridgeEnvelope(JsonModel):
    """The envelope EventBridge delivers to a target (the fields of Powertools' ``EventBridgeModel``).

    Declared here rather than imported from Powertools' parser: importing the parser package loads every
    envelope it knows (SQS, Kinesis, API Gateway, ...), about 0.1 s on the job-events function's cold start.
    """

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail_type: str = field(metadata={"json": "detail-type"})
    replay_name: str | None = field(default=None, metadata={"json": "replay-name"})


@json_model
@dataclass(frozen=True, kw_only=True)
class BatchJobStateChangeEvent(EventBridgeEnvelope):
    """The EventBridge envelope (``source: aws.batch``, ``detail-type: Batch Job State Change``)."""

    detail: BatchJobDetail
