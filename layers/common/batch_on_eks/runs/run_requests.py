"""Start a run for an event: a client's "Run Job Requested" event, or a tick of the stack's schedule.

EventBridge delivers at least once, and its Step Functions target cannot name the execution; this entry
point names it after the event's id, so a redelivered event (same id) finds its execution already there
and starts nothing. The execution's name is also the run's id (the runs table's key and the ``runId`` of
the "Run Finished" event), so a client that put the event knows its run: ``event-<EventId>``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.models.control_plane_events import RUN_REQUEST_DETAIL_TYPE, SCHEDULED_DETAIL_TYPE
from batch_on_eks.models.run_request import RunRequestEvent

# Execution names: up to 80 characters; letters, digits, "-" and "_" are safe everywhere (a name becomes
# part of ARNs, log streams and the Batch job's name suffix).
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_PREFIXES = {RUN_REQUEST_DETAIL_TYPE: "event-", SCHEDULED_DETAIL_TYPE: "schedule-"}


def execution_name(prefix: str, event_id: str) -> str:
    """``<prefix><event id>``; an id that is long or has other characters is replaced by its SHA-256
    (EventBridge's ids are UUIDs, but the name must stay valid whatever arrives)."""
    if _SAFE_ID.fullmatch(event_id):
        return f"{prefix}{event_id}"
    return f"{prefix}{hashlib.sha256(event_id.encode()).hexdigest()[:64]}"


def run_job_state_machine_arn(function_arn: str, resource_prefix: str) -> str:
    """The run-job state machine of this control plane, from the calling function's own ARN
    (``arn:<partition>:lambda:<region>:<account>:function:<name>``) and the stack's ``ResourcePrefix``."""
    parts = function_arn.split(":")
    return f"arn:{parts[1]}:states:{parts[3]}:{parts[4]}:stateMachine:{resource_prefix}-run-job"


def start_requested_run(event: RunRequestEvent, state_machine_arn: str) -> dict[str, Any]:
    """Start the run the event asks for, named after the event; ``outcome`` says whether it was new."""
    prefix = NAME_PREFIXES.get(event.detail_type)
    if prefix is None:
        return {"outcome": "ignored", "reason": f"not a run request: detail-type {event.detail_type!r}"}
    name = execution_name(prefix, event.id)
    started = executions.start(state_machine_arn, name, event.detail)
    return {
        "outcome": "started" if started.new else "duplicate",
        "runId": name,
        "executionArn": started.execution_arn,
    }
