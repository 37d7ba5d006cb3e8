"""Step Functions for the API's requests: start a workflow under a chosen name, read an execution in full,
stop one.

The API must know whether its request started the execution or found one already there, and what that one
was started with: an ``Idempotency-Key`` replay is only a replay if the execution was asked for the same
thing. Reading a run also needs the execution's input, output and times, hence this fuller reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from batch_on_eks.clients import client


@dataclass(frozen=True)
class Execution:
    """What DescribeExecution says, JSON-ready: times in epoch milliseconds, input and output parsed."""

    arn: str
    name: str
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE)
    input: Any
    output: Any
    error: str | None
    cause: str | None
    started_at: int | None
    stopped_at: int | None


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN an execution of ``name`` has (or will have): Step Functions derives it from the two."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> tuple[str, bool]:
    """Start an execution; ``(arn, True)``, or ``(arn, False)`` when one of that name already exists."""
    try:
        response = client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return execution_arn(state_machine_arn, name), False
    return str(response["executionArn"]), True


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
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return None
        raise
    return Execution(
        arn=str(found["executionArn"]),
        name=str(found.get("name") or arn.rsplit(":", 1)[-1]),
        status=str(found["status"]),
        input=_json_or_none(found.get("input")),
        output=_json_or_none(found.get("output")),
        error=found.get("error"),
        cause=found.get("cause"),
        started_at=_epoch_ms(found.get("startDate")),
        stopped_at=_epoch_ms(found.get("stopDate")),
    )


def stop(arn: str, error: str, cause: str) -> bool:
    """Stop a running execution; False when it had already ended (or does not exist)."""
    try:
        client("stepfunctions").stop_execution(executionArn=arn, error=error, cause=cause)
    except ClientError as failure:
        if failure.response["Error"]["Code"] in ("ExecutionDoesNotExist", "ExecutionNotRunning"):
            return False
        raise
    return True
