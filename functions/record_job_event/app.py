"""Target of the Batch job state change rule: record the event in its run, heartbeat or end the wait."""

from typing import Any

from batch_on_eks.models.job_state_change import BatchJobStateChangeEvent
from batch_on_eks.observability import logger
from batch_on_eks.runs.job_events import record_job_event
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(raw_event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = BatchJobStateChangeEvent.from_dict(raw_event)
    logger.thread_safe_append_keys(
        job_id=event.detail.job_id, job_status=event.detail.status.value, event_id=event.id
    )
    outcome = record_job_event(event, load_settings())
    logger.info("job event", extra={"outcome": outcome})
    return {"outcome": outcome}
