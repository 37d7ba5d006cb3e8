"""A task that waits for its token (``.waitForTaskToken``) as AWS ends it (moto_gaps/step_functions.py):
failed through its token with the error and the cause given, and ended at once when its execution is stopped.

The state machine is the tests' own: one callback task, no heartbeat, a timeout of an hour, handled by the
test stack's function, which parks the token where the test finds it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from local.embedded_aws.server import EmbeddedAws
from tests.emulator.conftest import TEST_STACK

ROLE = "arn:aws:iam::123456789012:role/tests"
BOUND = 30.0  # an upper bound on every wait, never a synchronisation


@pytest.fixture(scope="module")
def stack(aws: EmbeddedAws) -> Any:
    return aws.deploy(TEST_STACK, "callbacks-test")


def callback_machine(aws: EmbeddedAws, timeout: dict[str, Any]) -> str:
    """A state machine of one callback task handled by the test stack's function, with ``timeout`` (its
    TimeoutSeconds or TimeoutSecondsPath)."""
    definition = {
        "StartAt": "Wait for the token",
        "States": {
            "Wait for the token": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": aws.runtime.function("StepFunction").arn,
                    "Payload": {"action": "park-token", "token.$": "$$.Task.Token", "value.$": "$.value"},
                },
                **timeout,
                "End": True,
            }
        },
    }
    return str(
        boto3.client("stepfunctions").create_state_machine(
            name=f"callback-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
    )


@pytest.fixture(scope="module")
def machine(aws: EmbeddedAws, stack: Any) -> str:
    return callback_machine(aws, {"TimeoutSeconds": 3600})


@pytest.fixture(scope="module")
def machine_with_a_timeout_path(aws: EmbeddedAws, stack: Any) -> str:
    """The same task, its time-out read from the input (TimeoutSecondsPath), as the run-job workflow does."""
    return callback_machine(aws, {"TimeoutSecondsPath": "$.waitSeconds"})


def parked(aws: EmbeddedAws, stack: Any, machine: str) -> tuple[str, str]:
    """Start an execution and return its ARN and its task's token, once the task's function has parked it."""
    value = str(uuid.uuid4())
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps({"value": value})
    )["executionArn"]
    table = boto3.resource("dynamodb").Table(stack.outputs["RecordsTableName"])
    assert aws.signals.wait("invoked:StepFunction", BOUND)
    for _ in range(600):  # the token is in the table once the function has returned
        items = table.query(KeyConditionExpression=Key("recorder").eq("tokens"))["Items"]
        tokens = [str(i["token"]) for i in items if i["value"] == value]
        if tokens:
            return str(arn), tokens[0]
        aws.runtime.wait_async_idle(0.05)
    raise AssertionError("the task's function never parked its token")


def test_a_task_failed_through_its_token_fails_with_the_error_and_the_cause(
    aws: EmbeddedAws, stack: Any, machine: str
) -> None:
    # Given an execution whose task waits for its token
    execution, token = parked(aws, stack, machine)
    # When the token is answered with a failure, its error and a JSON cause
    cause = json.dumps({"message": "the run's deadline passed", "jobId": "j-1"})
    boto3.client("stepfunctions").send_task_failure(taskToken=token, error="JobTimedOut", cause=cause)
    # Then the execution fails with both, as given
    ended = aws.wait_for_execution(execution, BOUND)
    assert ended["status"] == "FAILED"
    assert ended["error"] == "JobTimedOut"
    assert ended["cause"] == cause


def test_a_stopped_execution_ends_at_once_while_its_task_waits_for_its_token(
    aws: EmbeddedAws, stack: Any, machine: str
) -> None:
    # Given an execution whose task waits for a token nobody will answer (for up to an hour)
    execution, _ = parked(aws, stack, machine)
    # When it is stopped
    boto3.client("stepfunctions").stop_execution(executionArn=execution, error="Stopped", cause="by the test")
    # Then it is ABORTED now, not when the task's hour is up
    assert aws.wait_for_execution(execution, BOUND)["status"] == "ABORTED"


def test_a_stopped_execution_is_aborted_when_stop_execution_returns_while_its_lambda_still_runs(
    aws: EmbeddedAws, stack: Any
) -> None:
    # Given an execution whose Lambda task is running (for 2 s)
    definition = {
        "StartAt": "Sleep",
        "States": {
            "Sleep": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": aws.runtime.function("StepFunction").arn,
                    "Payload": {"action": "sleep", "seconds": 2},
                },
                "End": True,
            }
        },
    }
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"sleeper-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    invocations = aws.signals.counts["invoke:StepFunction"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert aws.signals.wait_count("invoke:StepFunction", invocations + 1, BOUND)
    # When it is stopped
    stopped = sfn.stop_execution(executionArn=execution, error="Stopped", cause="by the test")
    # Then DescribeExecution says ABORTED at once, with the stop's date, as AWS answers it
    described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stopped["stopDate"]
    # And it stays ABORTED once the task's function has returned
    assert aws.signals.wait_count("invoked:StepFunction", invocations + 1, BOUND)
    assert aws.wait_for_execution(execution, BOUND)["status"] == "ABORTED"


def test_a_task_times_out_after_the_seconds_its_input_gives(
    aws: EmbeddedAws, machine_with_a_timeout_path: str
) -> None:
    # Given an execution whose task waits for a token nobody answers, its input giving it 2 s
    execution = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine_with_a_timeout_path, input=json.dumps({"value": "late", "waitSeconds": 2})
    )["executionArn"]
    # When those seconds have passed, Then the execution fails States.Timeout, the task scheduled with them
    ended = aws.wait_for_execution(execution, BOUND)
    assert ended["status"] == "FAILED"
    assert ended["error"] == "States.Timeout"
    (scheduled,) = [e for e in aws.execution_history(execution) if e["type"] == "TaskScheduled"]
    assert scheduled["taskScheduledEventDetails"]["timeoutInSeconds"] == 2
