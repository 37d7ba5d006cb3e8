"""The steps of the stack-teardown workflow (``statemachine/stack_teardown.asl.json``): tear down every
environment that outlives the stack, wait for the teardowns to end, then answer CloudFormation's Delete.

The workflow calls :func:`advance` in a loop (Wait, advance, Choice) and then :func:`respond`. ``advance``
keeps the whole state in its output (one entry per environment), so a retried step or a lost answer
changes nothing: each entry moves forward only.

Per environment, once: the execution that holds it, if any, decides what to do.

- A teardown execution still running (someone started one, or a provisioning's rollback): waited for.
- A provision execution still running (``sam deploy`` and then ``sam delete`` at once), whether it holds
  the environment or has not yet recorded it: stopped first, and the teardown starts once it is seen
  stopped (a teardown takes over an environment whose execution ended; it refuses one held by a running
  execution). A step that was in flight when it stopped may still create one resource: the teardown, which
  removes the cluster last, finds it; if it cannot, the answer is FAILED, never a silent leftover.
- Otherwise a teardown starts, named after the Delete request (a repeat starts nothing new).

The answer is SUCCESS only when every environment is DELETED; a teardown that failed, or one still running
at the deadline (CloudFormation waits an hour at most), answers FAILED naming the environment and its
execution, and the stack's deletion stops before the network and tables go.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from batch_on_eks.aws import cloudformation, executions
from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.clock import now_ms
from batch_on_eks.models.custom_resource import CustomResourceRequest
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.settings import Settings

DELETED = EnvironmentStatus.DELETED.value
STOPPED_BY_STACK_DELETE = "StackDeleted"


def stack_teardown_step(event: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """One action of the stack-teardown workflow: ``advance`` (start, adopt or wait for each environment's
    teardown), ``respond`` (answer CloudFormation's Delete with the outcome) or ``respondToFailure`` (answer
    FAILED when a step failed for good)."""
    action = event.get("action")
    if action == "advance":
        return advance(event["state"], settings)
    if action == "respond":
        return respond(event["request"], event["outcome"])
    if action == "respondToFailure":
        return respond_to_failure(event["request"], event.get("error") or {})
    raise ValueError(f"unknown action {action!r}")


def _belongs_to(execution_arn: str, state_machine_arn: str) -> bool:
    return execution_arn.startswith(executions.execution_arn(state_machine_arn, ""))


def _teardown_name(request_id: str, environment: str) -> str:
    digest = hashlib.sha256(request_id.encode()).hexdigest()[:8]
    return f"stack-delete-{digest}-{environment}"[:80]


def _advance_one(entry: dict[str, Any], state: dict[str, Any], store: EnvironmentStore) -> dict[str, Any]:
    """The environment's entry, one step further: stopped provisionings, a started (or adopted) teardown,
    or its end."""
    entry = dict(entry)
    if entry.get("ended"):
        return entry
    teardown = entry.get("teardownExecutionArn")
    if teardown is not None:
        found = executions.describe(teardown)
        if found is None or found.status != "RUNNING":
            entry.update(ended=True, teardownStatus=found.status if found else "MISSING")
            if found is not None and found.error:
                entry.update(error=found.error, cause=(found.cause or "")[:300])
        return entry
    record = store.get(entry["name"])
    holders = [record.execution_arn if record else None, *entry.get("provisionings", [])]
    stopping = False
    for holder in dict.fromkeys(str(h) for h in holders if h):
        found = executions.describe(holder)
        if found is None or found.status != "RUNNING":
            continue
        if _belongs_to(holder, state["teardownStateMachineArn"]):
            entry["teardownExecutionArn"] = holder  # already being torn down: wait for that one
            return entry
        stopped = list(entry.get("stopped", []))
        if holder not in stopped:
            executions.stop(
                holder,
                STOPPED_BY_STACK_DELETE,
                "The stack is being deleted: its teardown takes the environment over.",
            )
            entry["stopped"] = [*stopped, holder]
        stopping = True
    if stopping:
        return entry  # the teardown starts once they are seen stopped (it refuses a running holder)
    if record is None or record.status is EnvironmentStatus.DELETED:
        entry.update(ended=True, teardownStatus="NOT_NEEDED")
        return entry
    started = executions.start(
        state["teardownStateMachineArn"],
        _teardown_name(state["request"]["RequestId"], entry["name"]),
        {"name": entry["name"], "pollIntervalSeconds": state["pollIntervalSeconds"]},
    )
    entry["teardownExecutionArn"] = started.execution_arn
    return entry


def advance(state: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Move every environment forward once; ``done`` with an ``outcome`` once all have ended, or at the
    deadline. ``waitSeconds`` is the next Wait (at least 1 s: the loop never spins)."""
    store = EnvironmentStore(settings.environments_table)
    entries = [_advance_one(entry, state, store) for entry in state["environments"]]
    result = {**state, "environments": entries, "waitSeconds": max(1, int(state["pollIntervalSeconds"]))}
    if all(entry.get("ended") for entry in entries):
        return {**result, "done": True, "outcome": _outcome(entries, store)}
    if now_ms() // 1000 >= int(state["deadline"]):
        running = [f"{e['name']} ({_what_runs(e)})" for e in entries if not e.get("ended")]
        reason = (
            f"Teardown still running near CloudFormation's one-hour limit: {', '.join(running)}. "
            "When it ends, delete the stack again."
        )
        return {**result, "done": True, "outcome": {"status": "FAILED", "reason": reason}}
    return {**result, "done": False}


def _what_runs(entry: dict[str, Any]) -> str:
    return str(entry.get("teardownExecutionArn") or f"waiting for {entry.get('stopped')} to stop")


def _outcome(entries: list[dict[str, Any]], store: EnvironmentStore) -> dict[str, Any]:
    left = []
    for entry in entries:
        record = store.get(entry["name"])
        status = record.status.value if record else DELETED
        if status != DELETED:
            how = entry.get("error") or entry.get("teardownStatus")
            cause = f": {entry['cause']}" if entry.get("cause") else ""
            left.append(
                f"{entry['name']} is {status}; teardown {entry.get('teardownExecutionArn')} {how}{cause}"
            )
    names = ", ".join(entry["name"] for entry in entries)
    if not left:
        return {"status": "SUCCESS", "reason": f"environments removed: {names}", "environments": names}
    reason = (
        "Some environments were not removed, so the stack keeps the network they need: "
        + " | ".join(left)
        + ". Fix the cause, tear them down (the teardown workflow converges), then delete the stack again."
    )
    return {"status": "FAILED", "reason": reason, "environments": names}


def respond(request_state: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """Answer CloudFormation's Delete with the workflow's outcome."""
    request = CustomResourceRequest.model_validate(request_state)
    status: Literal["SUCCESS", "FAILED"] = "SUCCESS" if outcome.get("status") == "SUCCESS" else "FAILED"
    physical = request.physical_resource_id or request.logical_resource_id
    data = {"Environments": str(outcome["environments"])} if outcome.get("environments") else None
    cloudformation.send_response(
        request.response_url, request.response(status, physical, str(outcome.get("reason", "")), data)
    )
    return {"answered": status}


def respond_to_failure(request_state: dict[str, Any], error: dict[str, Any]) -> dict[str, Any]:
    """A step failed for good (the workflow's Catch): answer FAILED with its error, rather than leave
    CloudFormation waiting."""
    reason = f"the stack-teardown workflow failed: {error.get('Error')}: {str(error.get('Cause'))[:1500]}"
    return respond(request_state, {"status": "FAILED", "reason": reason})
