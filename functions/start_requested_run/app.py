"""Target of the "Run Job Requested" rule and of the optional schedule: start the run-job execution the
event asks for, named after the event's id (a redelivered event starts nothing new)."""

from typing import Any

from batch_on_eks.models.run_request import RunRequestEvent
from batch_on_eks.observability import logger
from batch_on_eks.runs.requested import start_requested_run
from batch_on_eks.settings import load_settings
from batch_on_eks.workflows.arns import Workflows


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(raw_event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = RunRequestEvent.from_dict(raw_event)
    logger.thread_safe_append_keys(event_id=event.id, detail_type=event.detail_type)
    workflows = Workflows.of(context.invoked_function_arn, load_settings().resource_prefix)
    result = start_requested_run(event, workflows)
    logger.info("run request", extra=result)
    return result
