"""Step Functions' quotas as AWS enforces them (moto_gaps/step_functions_limits.py), on executions the
embedded AWS runs: 25,000 history events, 262,144 bytes of input or output, and the API calls that carry
a payload.

The state machines are small ones of the tests' own: a loop of Pass and Choice states that writes four
history events a turn, and a Parallel state whose one branch returns what the test asks."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.server import EmbeddedAws

PAYLOAD_LIMIT = 262_144  # bytes of UTF-8 text: a state's input or output, an execution's input
HISTORY_LIMIT = 25_000
ROLE = "arn:aws:iam::123456789012:role/tests"

# ExecutionStarted, then per turn PassStateEntered/Exited and ChoiceStateEntered/Exited, then
# SucceedStateEntered/Exited and ExecutionSucceeded: 4 x turns + 4 events.
LOOP = {
    "StartAt": "Turn",
    "States": {
        "Turn": {
            "Type": "Pass",
            "Parameters": {"turns.$": "$.turns", "done.$": "States.MathAdd($.done, 1)"},
            "Next": "More?",
        },
        "More?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "NumericEqualsPath": "$.turns", "Next": "Done"}],
            "Default": "Turn",
        },
        "Done": {"Type": "Succeed"},
    },
}

# A Parallel state whose one branch outputs its input twice over, with a Catch on every error it can catch.
DOUBLED = {
    "StartAt": "Branch",
    "States": {
        "Branch": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Double",
                    "States": {
                        "Double": {
                            "Type": "Pass",
                            "Parameters": {"a.$": "$.text", "b.$": "$.text"},
                            "End": True,
                        }
                    },
                }
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}],
            "ResultSelector": {"branches.$": "States.ArrayLength($)"},
            "End": True,
        },
        "Caught": {"Type": "Pass", "Result": "caught", "End": True},
    },
}


def state_machine(definition: dict[str, Any]) -> str:
    sfn = boto3.client("stepfunctions")
    name = f"limits-{uuid.uuid4().hex[:8]}"
    return str(
        sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
    )


@pytest.fixture(scope="module")
def loop(aws: EmbeddedAws) -> str:
    return state_machine(LOOP)


@pytest.fixture(scope="module")
def doubled(aws: EmbeddedAws) -> str:
    return state_machine(DOUBLED)


def run(aws: EmbeddedAws, machine: str, execution_input: dict[str, Any]) -> dict[str, Any]:
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps(execution_input)
    )["executionArn"]
    try:
        return aws.wait_for_execution(arn, 120)
    finally:  # never leave a loop running into the next test
        boto3.client("stepfunctions").stop_execution(executionArn=arn)


# -- 25,000 history events -----------------------------------------------------------------------------------
def test_an_execution_whose_25000th_event_is_its_success_succeeds(aws: EmbeddedAws, loop: str) -> None:
    # Given a loop whose last event, ExecutionSucceeded, is event 25,000
    turns = (HISTORY_LIMIT - 4) // 4
    # When it runs
    ended = run(aws, loop, {"turns": turns, "done": 0})
    # Then it succeeds with 25,000 events
    assert ended["status"] == "SUCCEEDED", ended
    assert len(aws.execution_history(ended["executionArn"])) == HISTORY_LIMIT


def test_an_execution_fails_at_its_25000th_event_when_that_event_is_not_its_success(
    aws: EmbeddedAws, loop: str
) -> None:
    # Given a loop one turn longer: its 25,000th event would be a state's
    turns = (HISTORY_LIMIT - 4) // 4 + 1
    # When it runs
    ended = run(aws, loop, {"turns": turns, "done": 0})
    # Then event 25,000 is ExecutionFailed, States.Runtime, with AWS's cause, and there is no event after it
    assert ended["status"] == "FAILED"
    assert ended["error"] == "States.Runtime"
    assert ended["cause"] == "The execution reached the maximum number of history events (25000)."
    history = aws.execution_history(ended["executionArn"])
    assert len(history) == HISTORY_LIMIT
    assert history[-1]["type"] == "ExecutionFailed"


# -- 256 KiB of input or output ------------------------------------------------------------------------------
def test_a_state_output_under_the_limit_passes(aws: EmbeddedAws, doubled: str) -> None:
    # Given an input whose double is well under 262,144 bytes
    text = "x" * (PAYLOAD_LIMIT // 2 - 1000)
    # When it runs
    ended = run(aws, doubled, {"text": text})
    # Then it succeeds, through its one branch
    assert ended["status"] == "SUCCEEDED", ended
    assert json.loads(ended["output"]) == {"branches": 1}


def test_a_state_output_over_the_limit_fails_the_execution_and_states_all_does_not_catch_it(
    aws: EmbeddedAws, doubled: str
) -> None:
    # Given an input under the limit whose double is over it
    text = "x" * (PAYLOAD_LIMIT // 2 + 10)
    # When it runs
    ended = run(aws, doubled, {"text": text})
    # Then the execution fails States.DataLimitExceeded, which the Catch on States.ALL did not catch
    assert ended["status"] == "FAILED", ended
    assert ended["error"] == "States.DataLimitExceeded"
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in aws.execution_history(ended["executionArn"])
        if "stateEnteredEventDetails" in e
    ]
    assert "Caught" not in entered


@pytest.mark.parametrize(("size", "accepted"), [(PAYLOAD_LIMIT, True), (PAYLOAD_LIMIT + 1, False)])
def test_start_execution_takes_an_input_of_the_limit_and_refuses_one_byte_more(
    aws: EmbeddedAws, doubled: str, size: int, accepted: bool
) -> None:
    # Given an execution input of the size asked for, in bytes of UTF-8 (two of them in one character)
    wrapper = len(json.dumps({"text": ""}))
    execution_input = json.dumps({"text": "é" + "y" * (size - wrapper - 2)}, ensure_ascii=False)
    assert len(execution_input.encode()) == size
    sfn = boto3.client("stepfunctions")
    # When it is started
    if accepted:
        arn = sfn.start_execution(stateMachineArn=doubled, input=execution_input)["executionArn"]
        sfn.stop_execution(executionArn=arn)
        return
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=doubled, input=execution_input)
    # Then over the limit it is refused as AWS refuses a parameter over its length
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert (
        "Member must have length less than or equal to 262144" in refused.value.response["Error"]["Message"]
    )
