"""Step Functions: start an execution (the rollback's teardown), by a name that makes a retry a no-op."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from batch_on_eks.clients import client


def start_execution(state_machine_arn: str, name: str, execution_input: dict[str, Any]) -> str:
    """Start it, or, when an execution of that name exists (a retried step), return that one's ARN."""
    sfn = client("stepfunctions")
    try:
        return str(
            sfn.start_execution(
                stateMachineArn=state_machine_arn, name=name, input=json.dumps(execution_input)
            )["executionArn"]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        arn = state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
        return arn


def is_running(execution_arn: str) -> bool:
    """Whether the execution is still RUNNING (a missing one is not)."""
    try:
        status = client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return False
        raise
    return bool(status == "RUNNING")
