"""Step Functions executions as the entry points and the stack's lifecycle use them: start one by a name
that makes a repeat a no-op (and say whether it was new), read how one ended, stop one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from batch_on_eks.clients import client


@dataclass(frozen=True)
class Started:
    execution_arn: str
    # False: an execution of that name had ended, or had another input. A repeat of a running execution's
    # name and input is answered with that execution as if new (Step Functions is idempotent there).
    new: bool


@dataclass(frozen=True)
class ExecutionState:
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
    output: str | None
    error: str | None
    cause: str | None


def execution_arn(state_machine_arn: str, name: str) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> Started:
    """Start it, unless an execution of that name exists. Step Functions answers a repeat of a running
    execution's name and input with that execution (idempotent), and a repeat of a finished one, or one
    with another input, with ExecutionAlreadyExists: either way nothing new runs."""
    try:
        arn = client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return Started(execution_arn(state_machine_arn, name), new=False)
    return Started(str(arn), new=True)


def describe(arn: str) -> ExecutionState | None:
    """How the execution stands (None if there is no such execution)."""
    try:
        found = client("stepfunctions").describe_execution(executionArn=arn)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return None
        raise
    return ExecutionState(
        status=str(found["status"]),
        output=found.get("output"),
        error=found.get("error"),
        cause=found.get("cause"),
    )


def stop(arn: str, error: str, cause: str) -> None:
    """Stop a running execution (one that has already ended is left as it is)."""
    try:
        client("stepfunctions").stop_execution(executionArn=arn, error=error, cause=cause[:32768])
    except ClientError as failure:
        if failure.response["Error"]["Code"] not in ("ExecutionDoesNotExist", "ValidationException"):
            raise


def running(state_machine_arn: str) -> list[tuple[str, Any]]:
    """Each RUNNING execution of the state machine, with its input (parsed JSON)."""
    sfn = client("stepfunctions")
    found: list[tuple[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    ):
        for execution in page.get("executions", []):
            arn = str(execution["executionArn"])
            described = sfn.describe_execution(executionArn=arn)
            if described.get("status") == "RUNNING":
                found.append((arn, json.loads(described.get("input") or "null")))
    return found
