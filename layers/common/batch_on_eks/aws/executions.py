"""Step Functions executions, for every caller that starts, reads or stops one (the provision workflow's
rollback and claims, the API, the EventBridge run requests, the stack's lifecycle).

Executions are started by a chosen name, which makes a repeat a no-op: Step Functions answers a second
start of a running execution with the same name and input as if it were new, and refuses one whose
execution has ended or had another input (``ExecutionAlreadyExists``), which ``start`` reports as not new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed

# StopExecution's cause is at most 32,768 characters.
_MAX_CAUSE = 32_768


@dataclass(frozen=True)
class Started:
    execution_arn: str
    new: bool  # False: an execution of that name was already there


@dataclass(frozen=True)
class Execution:
    """What DescribeExecution says, JSON-ready: times in epoch milliseconds; input and output parsed
    (``output_text`` keeps the output as Step Functions gave it)."""

    arn: str
    name: str
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE)
    input: Any
    output: Any
    output_text: str | None
    error: str | None
    cause: str | None
    started_at: int | None
    stopped_at: int | None


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN an execution of ``name`` has (or will have): Step Functions derives it from the two."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> Started:
    try:
        response = client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
        )
    except AwsRequestFailed as error:
        if error.code != "ExecutionAlreadyExists":
            raise
        return Started(execution_arn(state_machine_arn, name), new=False)
    return Started(str(response["executionArn"]), new=True)


def _epoch_ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else None


def _json_or_none(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def describe(arn: str) -> Execution | None:
    """The execution, or None when there is none of that ARN."""
    try:
        found = client("stepfunctions").describe_execution(executionArn=arn)
    except AwsRequestFailed as error:
        if error.code == "ExecutionDoesNotExist":
            return None
        raise
    return Execution(
        arn=str(found["executionArn"]),
        name=str(found.get("name") or arn.rsplit(":", 1)[-1]),
        status=str(found["status"]),
        input=_json_or_none(found.get("input")),
        output=_json_or_none(found.get("output")),
        output_text=found.get("output"),
        error=found.get("error"),
        cause=found.get("cause"),
        started_at=_epoch_ms(found.get("startDate")),
        stopped_at=_epoch_ms(found.get("stopDate")),
    )


def is_running(arn: str) -> bool:
    """Whether the execution is still RUNNING (a missing one is not)."""
    found = describe(arn)
    return found is not None and found.status == "RUNNING"


def stop(arn: str, error: str, cause: str) -> bool:
    """Stop a running execution; False when it had already ended (or does not exist)."""
    try:
        client("stepfunctions").stop_execution(executionArn=arn, error=error, cause=cause[:_MAX_CAUSE])
    except AwsRequestFailed as failure:
        if failure.code in ("ExecutionDoesNotExist", "ExecutionNotRunning", "ValidationException"):
            return False
        raise
    return True


def running(state_machine_arn: str) -> list[tuple[str, Any]]:
    """Each RUNNING execution of the state machine, with its input (parsed JSON)."""
    sfn = client("stepfunctions")
    found: list[tuple[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    ):
        for execution in page.get("executions", []):
            described = describe(str(execution["executionArn"]))
            if described is not None and described.status == "RUNNING":
                found.append((described.arn, described.input))
    return found
