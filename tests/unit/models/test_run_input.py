"""The run-job input: valid inputs pass, each invalid field fails naming that field, and SubmitJob's
parameters override an EKS job's container only through eksPropertiesOverride; the sample inputs in
events/ are valid ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.run_input import RUN_ID_TAG, RunJobInput
from tests.conftest import REPO_ROOT

QUEUE_ARN = "arn:aws:batch:us-east-1:123456789012:job-queue/doeks-aws-batch-JQ1_OD"
MINIMAL = {"environment": "doeks-aws-batch", "jobName": "hello-1"}
EVENTS_DIR = REPO_ROOT / "events"


def errors_of(raw: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        RunJobInput.parse(raw)
    return caught.value.problems


def test_minimal_input_is_valid_with_defaults() -> None:
    # Given only an environment and a job name
    # When the input is read
    run = RunJobInput.model_validate(MINIMAL)
    # Then the defaults apply
    assert run.environment == "doeks-aws-batch"
    assert run.job_queue is None
    assert run.default_job_definition("doeks-aws-batch") == "doeks-aws-batch-hello-world"
    assert run.runnable_timeout_seconds == 3600
    assert run.heartbeat_seconds is None  # the stack's ReconcilePeriodMinutes, which the Validate step knows
    assert not run.has_overrides


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"jobQueue": "doeks-aws-batch-JQ1_SPOT"}, id="queue-name"),
        pytest.param({"jobQueue": QUEUE_ARN}, id="queue-arn"),
        pytest.param({"jobQueue": QUEUE_ARN, "environment": "doeks-aws-batch"}, id="queue-and-environment"),
        pytest.param({"environment": "doeks-aws-batch", "jobDefinition": "my-def"}, id="definition-name"),
        pytest.param(
            {"environment": "doeks-aws-batch", "jobDefinition": "my-def:12"}, id="definition-revision"
        ),
        pytest.param(
            {
                "environment": "doeks-aws-batch",
                "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/my-def:3",
            },
            id="definition-arn",
        ),
        pytest.param(
            {
                "environment": "doeks-aws-batch",
                "command": ["sh", "-c"],
                "args": ["echo hi"],
                "env": {"GREETING": "hi", "my.var-1": "x", "_X": ""},
                "containerName": "application",
                "arraySize": 10_000,
                "retryAttempts": 10,
                "timeoutSeconds": 60,
                "tags": {"team": "data", "a" * 128: "v" * 256},
                "runnableTimeoutSeconds": 60,
                "heartbeatSeconds": 10,
            },
            id="everything",
        ),
    ],
)
def test_valid_inputs(fields: dict[str, Any]) -> None:
    # Given a valid input
    # When it is read
    run = RunJobInput.model_validate({"jobName": "job_1"} | fields)
    # Then it is accepted
    assert run.job_name == "job_1"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"jobName": "-starts-with-hyphen"}, "jobName", id="job-name-first-char"),
        pytest.param({"jobName": "has space"}, "jobName", id="job-name-space"),
        pytest.param({"jobName": "x" * 129}, "jobName", id="job-name-too-long"),
        pytest.param({"jobName": None}, "jobName", id="job-name-null"),
        pytest.param({"arraySize": 1}, "arraySize", id="array-size-1"),
        pytest.param({"arraySize": 10_001}, "arraySize", id="array-size-too-big"),
        pytest.param({"retryAttempts": 0}, "retryAttempts", id="retry-0"),
        pytest.param({"retryAttempts": 11}, "retryAttempts", id="retry-11"),
        pytest.param({"timeoutSeconds": 10}, "timeoutSeconds", id="timeout-10"),
        pytest.param({"timeoutSeconds": "600"}, "timeoutSeconds", id="timeout-as-string"),
        pytest.param({"runnableTimeoutSeconds": 0}, "runnableTimeoutSeconds", id="runnable-limit-0"),
        pytest.param({"heartbeatSeconds": 0}, "heartbeatSeconds", id="heartbeat-0"),
        pytest.param({"heartbeatSeconds": 3601}, "heartbeatSeconds", id="heartbeat-3601"),
        pytest.param({"tags": {"aws:owner": "me"}}, "tags", id="tag-aws-prefix"),
        pytest.param({"tags": {"AWS:owner": "me"}}, "tags", id="tag-aws-prefix-any-case"),
        pytest.param({"tags": {"": "v"}}, "tags", id="tag-key-empty"),
        pytest.param({"tags": {"k" * 129: "v"}}, "tags", id="tag-key-too-long"),
        pytest.param({"tags": {"k": "v" * 257}}, "tags", id="tag-value-too-long"),
        pytest.param({"tags": {f"k{i}": "v" for i in range(50)}}, "tags", id="tags-too-many"),
        pytest.param({"tags": {RUN_ID_TAG: "mine"}}, "tags", id="tag-run-id-is-ours"),
        pytest.param({"env": {"1BAD": "x"}}, "env", id="env-name-digit-first"),
        pytest.param({"env": {"BAD NAME": "x"}}, "env", id="env-name-space"),
        pytest.param({"env": {"AWS_BATCH_JOB_ID": "x"}}, "env", id="env-name-reserved"),
        pytest.param({"env": {"OK": 1}}, "env.OK", id="env-value-not-string"),
        pytest.param({"command": "echo hi"}, "command", id="command-not-list"),
        pytest.param({"containerName": "App"}, "containerName", id="container-name-uppercase"),
        pytest.param({"jobDefinition": "def:rev"}, "jobDefinition", id="definition-bad-revision"),
        pytest.param({"jobQueue": "arn:aws:sqs:us-east-1:1:q"}, "jobQueue", id="queue-not-a-batch-arn"),
        pytest.param({"environment": "bad env"}, "environment", id="environment-bad-name"),
        pytest.param({"unknownField": 1}, "unknownField", id="unknown-field"),
    ],
)
def test_an_invalid_field_is_named(fields: dict[str, Any], field: str) -> None:
    # Given an otherwise valid input with one bad field
    # When it is read
    errors = errors_of(MINIMAL | fields)
    # Then the error names that field and says the rule
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["rule"]


def test_neither_environment_nor_queue_names_environment() -> None:
    # Given an input with neither an environment nor a job queue
    # When it is read
    errors = errors_of({"jobName": "j"})
    # Then the environment is named as required
    assert errors == [{"field": "environment", "rule": "required unless a valid jobQueue is given"}]


def test_missing_job_name_and_unknown_field_are_both_reported() -> None:
    # Given an input without a job name and with a misspelt field
    # When it is read
    errors = errors_of({"environment": "doeks-aws-batch", "jobname": "j"})
    # Then both are named, with readable rules
    assert {"field": "jobName", "rule": "required"} in errors
    assert {"field": "jobname", "rule": "unknown field: not part of the run input"} in errors


def test_rule_text_is_readable() -> None:
    # Given a bad job name
    # When it is read
    errors = errors_of(MINIMAL | {"jobName": "-x"})
    # Then the rule says what is expected, without pydantic's prefix
    assert errors[0]["rule"].startswith("up to 128 letters")


def test_submit_request_without_overrides() -> None:
    # Given a minimal input
    run = RunJobInput.model_validate(MINIMAL | {"containerName": "application"})
    # When SubmitJob's parameters are built
    request = run.submit_request(QUEUE_ARN, "doeks-aws-batch-hello-world", run_id="run-1")
    # Then there is no override at all (a container name alone only targets the log links)
    assert request == {
        "jobName": "hello-1",
        "jobQueue": QUEUE_ARN,
        "jobDefinition": "doeks-aws-batch-hello-world",
        "propagateTags": False,
        "tags": {RUN_ID_TAG: "run-1"},
    }


def test_submit_request_with_everything() -> None:
    # Given an input with overrides, array size, retries, a timeout and tags
    run = RunJobInput.model_validate(
        MINIMAL
        | {
            "command": ["sh", "-c"],
            "args": ["echo $GREETING"],
            "env": {"GREETING": "hi", "LEVEL": "debug"},
            "containerName": "application",
            "arraySize": 3,
            "retryAttempts": 2,
            "timeoutSeconds": 900,
            "tags": {"team": "data"},
        }
    )
    # When SubmitJob's parameters are built
    request = run.submit_request(QUEUE_ARN, "my-def:2", run_id="run-2")
    # Then the overrides go through eksPropertiesOverride, never containerOverrides
    assert "containerOverrides" not in request
    assert request["eksPropertiesOverride"] == {
        "podProperties": {
            "containers": [
                {
                    "name": "application",
                    "command": ["sh", "-c"],
                    "args": ["echo $GREETING"],
                    "env": [{"name": "GREETING", "value": "hi"}, {"name": "LEVEL", "value": "debug"}],
                }
            ]
        }
    }
    assert request["arrayProperties"] == {"size": 3}
    assert request["retryStrategy"] == {"attempts": 2}
    assert request["timeout"] == {"attemptDurationSeconds": 900}
    assert request["tags"] == {"team": "data", RUN_ID_TAG: "run-2"}
    assert request["propagateTags"] is False


@pytest.mark.parametrize(
    ("override", "container"),
    [
        pytest.param({"command": ["true"]}, {"command": ["true"]}, id="command-only"),
        pytest.param({"args": []}, {"args": []}, id="empty-args-still-override"),
        pytest.param({"env": {"A": "1"}}, {"env": [{"name": "A", "value": "1"}]}, id="env-only"),
    ],
)
def test_each_override_alone_makes_an_eks_override(
    override: dict[str, Any], container: dict[str, Any]
) -> None:
    # Given an input with one override and no container name
    run = RunJobInput.model_validate(MINIMAL | override)
    # When SubmitJob's parameters are built
    request = run.submit_request(QUEUE_ARN, "d")
    # Then only that override appears, for the job definition's first container, and no tags without any
    assert request["eksPropertiesOverride"] == {"podProperties": {"containers": [container]}}
    assert "containerOverrides" not in request
    assert "tags" not in request


# -- sample inputs -------------------------------------------------------------------------------------------
SAMPLE_INPUTS = sorted(EVENTS_DIR.glob("run-*.json"))


def test_sample_inputs_exist() -> None:
    # Given the sample inputs in events/, to paste into the console
    # Then the documented ones are all there
    assert {p.name for p in SAMPLE_INPUTS} >= {
        "run-hello-world.json",
        "run-on-spot.json",
        "run-with-overrides.json",
    }


@pytest.mark.parametrize("path", SAMPLE_INPUTS, ids=[p.name for p in SAMPLE_INPUTS])
def test_sample_input_is_a_valid_run_input(path: Path) -> None:
    # Given a sample input a person pastes into the console
    raw = json.loads(path.read_text())
    # When the run model reads it
    run_input = RunJobInput.model_validate(raw)
    # Then it is valid, and names the blueprint's environment
    assert (run_input.environment or run_input.job_queue or "").startswith("doeks-aws-batch")
