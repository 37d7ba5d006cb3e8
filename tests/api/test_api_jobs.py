"""``/jobs`` through the deployed AnswerApiRequestFunction, driven by API Gateway proxy events: run, list,
read, cancel and logs, each with its success and its failures; and every kind of bad input (malformed JSON,
wrong types, missing and unknown fields, a 1 MB body, a body that is not JSON), never a 5xx."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from tests.api.support import BOUND, ApiWorld, event_fixture, proxy_event


@pytest.fixture(scope="module")
def finished_run(world: ApiWorld) -> str:
    """A run of the recorded POST /jobs event (the environment's hello-world), ended; its id."""
    answer = world.call(event_fixture("run_job"))
    assert answer.status == 202, answer.body
    description = world.aws.wait_for_execution(answer.body["executionArn"], BOUND)
    assert description["status"] == "SUCCEEDED", description
    return str(answer.body["id"])


def job_path(run_id: str, suffix: str = "") -> dict[str, Any]:
    return {
        "path": f"/jobs/{run_id}{suffix}",
        "resource": f"/jobs/{{id}}{suffix}",
        "path_parameters": {"id": run_id},
    }


# -- POST /jobs ----------------------------------------------------------------------------------------------
def test_recorded_run_job_event_is_accepted_with_the_run_to_follow(
    world: ApiWorld, finished_run: str
) -> None:
    # Given the recorded POST /jobs event (with an Idempotency-Key), already handled once by the fixture
    # When it is handled again
    answer = world.call(event_fixture("run_job"))
    # Then it is the same run: 202, the same Location, no new execution
    assert answer.status == 202
    assert answer.body["id"] == finished_run
    assert answer.headers["Location"] == f"/v1/jobs/{finished_run}"
    assert answer.body["newExecution"] is False
    # And the run id is a valid execution name derived from the key
    assert finished_run.startswith("run-")
    assert len(finished_run) == len("run-") + 64


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"environment": "doeks-never-made", "jobName": "a"}, 404, "EnvironmentNotFound", "environment"),
        ({"environment": "other-aws-batch", "jobName": "a"}, 404, "EnvironmentNotFound", "environment"),
        ({"jobQueue": "doeks-never-made-JQ1_OD", "jobName": "a"}, 404, "EnvironmentNotFound", "jobQueue"),
        (
            {"environment": "doeks-api", "jobQueue": "elsewhere-JQ1_OD", "jobName": "a"},
            400,
            "InvalidInput",
            "jobQueue",
        ),
    ],
    ids=["unknown-environment", "foreign-prefix", "unknown-queue", "queue-of-another-environment"],
)
def test_run_job_on_an_unknown_environment_or_queue(
    world: ApiWorld, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    # Given a run asked for on an environment or queue that is not there
    # When it is sent
    answer = world.call(proxy_event("POST", "/jobs", body=body))
    # Then it is refused, naming the field, and no run starts
    assert answer.status == status, answer.body
    assert answer.error == (code, field)


@pytest.mark.parametrize("status", ["PROVISIONING", "FAILED", "DELETING", "DELETED"])
def test_run_job_on_an_environment_that_is_not_ready_is_409(world: ApiWorld, status: str) -> None:
    # Given an environment that is not READY
    name = f"doeks-{status.lower()}-env"
    world.register(name, status)
    # When a run is asked for on it
    answer = world.call(proxy_event("POST", "/jobs", body={"environment": name, "jobName": "a"}))
    # Then it is 409 EnvironmentNotReady, saying its status
    assert answer.status == 409
    assert answer.error == ("EnvironmentNotReady", "environment")
    assert status in answer.body["message"]


@pytest.mark.parametrize(
    ("body", "code", "field", "rule"),
    [
        ({"environment": "doeks-api", "jobName": 5}, "InvalidInput", "jobName", "valid string"),
        ({"environment": "doeks-api"}, "InvalidInput", "jobName", "required"),
        (
            {"environment": "doeks-api", "jobName": "a", "priority": 1},
            "InvalidInput",
            "priority",
            "unknown field",
        ),
        (
            {"environment": "doeks-api", "jobName": "a", "arraySize": "3"},
            "InvalidInput",
            "arraySize",
            "integer",
        ),
        ({"environment": "doeks-api", "jobName": "a", "command": "echo"}, "InvalidInput", "command", "list"),
        ({"environment": "doeks-api", "jobName": "a b"}, "InvalidInput", "jobName", "letters"),
        ({"jobName": "a"}, "InvalidInput", "environment", "required unless"),
        ([{"environment": "doeks-api", "jobName": "a"}, 3], "InvalidInput", "body", "JSON object"),
        (["a"], "InvalidInput", "body", "JSON object"),
        ('"text"', "InvalidInput", "body", "JSON object"),
        ("null", "InvalidInput", "body", "required"),
        ('{"jobName": ', "MalformedJson", "body", "not valid JSON"),
        ('{"jobName": "a",}', "MalformedJson", "body", "not valid JSON"),
    ],
    ids=[
        "wrong-type",
        "missing-field",
        "unknown-field",
        "string-for-integer",
        "string-for-list",
        "rule",
        "neither-environment-nor-queue",
        "array-starting-with-an-object",
        "array",
        "string",
        "null-body",
        "truncated-json",
        "trailing-comma",
    ],
)
def test_run_job_refuses_bad_bodies_with_400_naming_the_field(
    world: ApiWorld, body: Any, code: str, field: str, rule: str
) -> None:
    # Given a body that breaks the schema (or is not JSON at all)
    # When it is sent
    answer = world.call(proxy_event("POST", "/jobs", body=body))
    # Then it is 400 with the field and the rule, never a 5xx
    assert answer.status == 400, answer.body
    assert answer.error == (code, field)
    assert rule in answer.body["message"]


def test_recorded_malformed_json_event_is_400(world: ApiWorld) -> None:
    # Given the recorded event of a POST /jobs whose body was cut off
    # When it is handled
    answer = world.call(event_fixture("malformed_json"))
    # Then it is 400 MalformedJson on the body
    assert answer.status == 400
    assert answer.error == ("MalformedJson", "body")


def test_run_job_without_a_body_is_400(world: ApiWorld) -> None:
    # Given a POST /jobs with no body at all
    # When it is sent
    answer = world.call(proxy_event("POST", "/jobs"))
    # Then the body is required
    assert answer.status == 400
    assert answer.error == ("InvalidInput", "body")


def test_a_one_megabyte_body_is_413(world: ApiWorld) -> None:
    # Given a 1 MB body (valid JSON, over the API's 256 KiB)
    body = json.dumps({"environment": "doeks-api", "jobName": "a", "env": {"PAD": "x" * (1024 * 1024)}})
    # When it is sent, as text and as API Gateway's base64
    answers = [
        world.call(proxy_event("POST", "/jobs", body=body)),
        world.call(proxy_event("POST", "/jobs", body=body.encode())),
    ]
    # Then both are 413 PayloadTooLarge
    for answer in answers:
        assert answer.status == 413
        assert answer.error == ("PayloadTooLarge", "body")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml"],
)
def test_a_body_that_is_not_json_is_415(world: ApiWorld, content_type: str) -> None:
    # Given a body sent as something other than JSON
    event = proxy_event("POST", "/jobs", body="jobName=a", headers={"Content-Type": content_type})
    # When it is handled
    answer = world.call(event)
    # Then it is 415 on Content-Type (Powertools' form and multipart parsers never see it)
    assert answer.status == 415
    assert answer.error == ("UnsupportedMediaType", "Content-Type")


def test_json_content_type_with_parameters_and_any_case_is_json(world: ApiWorld) -> None:
    # Given a JSON body whose Content-Type has a charset and another case
    event = proxy_event(
        "POST",
        "/jobs",
        body={"environment": "doeks-never-made", "jobName": "a"},
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    # When it is handled
    answer = world.call(event)
    # Then the body was read as JSON (the environment is unknown: 404, not 415)
    assert answer.status == 404


@pytest.mark.parametrize(
    ("body", "encoded"),
    [(b"\xff\xfe{}", True), ("%%%not-base64%%%", True)],
    ids=["not-utf-8", "not-base64"],
)
def test_a_binary_body_that_is_not_json_text_is_400(world: ApiWorld, body: Any, encoded: bool) -> None:
    # Given a base64 body (as API Gateway sends binary media) that is not UTF-8 text, or not base64
    event = proxy_event("POST", "/jobs", body="{}")
    event["body"] = base64.b64encode(body).decode() if isinstance(body, bytes) else body
    event["isBase64Encoded"] = encoded
    # When it is handled
    answer = world.call(event)
    # Then it is 400 MalformedJson, never a 5xx
    assert answer.status == 400
    assert answer.error == ("MalformedJson", "body")


@pytest.mark.parametrize("key", ["has spaces", "", "k" * 256, "ключ"])
def test_an_idempotency_key_out_of_its_pattern_is_400(world: ApiWorld, key: str) -> None:
    # Given an Idempotency-Key that is empty, too long, or not printable ASCII
    event = proxy_event(
        "POST", "/jobs", body={"environment": "doeks-api", "jobName": "a"}, headers={"Idempotency-Key": key}
    )
    # When it is sent
    answer = world.call(event)
    # Then it is 400 on the header
    assert answer.status == 400
    assert answer.error == ("InvalidInput", "idempotency-key")


# -- GET /jobs -----------------------------------------------------------------------------------------------
def test_recorded_list_jobs_event_lists_the_environments_runs(world: ApiWorld, finished_run: str) -> None:
    # Given a finished run on the environment, and the recorded GET /jobs?environment=doeks-api&limit=2
    # When the event is handled
    answer = world.call(event_fixture("list_jobs"))
    # Then the page has at most 2 runs of the environment, and (following the pages) the finished run
    assert answer.status == 200
    assert len(answer.body["items"]) <= 2
    runs = {item["runId"]: item for item in list_all(world, {"environment": world.environment})}
    assert runs[finished_run]["jobStatus"] == "SUCCEEDED"
    assert runs[finished_run]["environment"] == world.environment
    assert runs[finished_run]["jobId"]


def list_all(world: ApiWorld, query: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    for _page in range(100):
        answer = world.call(
            proxy_event(
                "GET", "/jobs", query={**query, "limit": "1", **({"nextToken": token} if token else {})}
            )
        )
        assert answer.status == 200, answer.body
        items += answer.body["items"]
        token = answer.body["nextToken"]
        if token is None:
            return items
    raise AssertionError("more than 100 pages")


def test_list_jobs_filters_by_status(world: ApiWorld, finished_run: str) -> None:
    # Given a finished (SUCCEEDED) run
    # When the environment's runs are listed by status
    succeeded = list_all(world, {"environment": world.environment, "status": "SUCCEEDED"})
    running = list_all(world, {"environment": world.environment, "status": "RUNNING"})
    # Then the run is among the SUCCEEDED ones only
    assert finished_run in {item["runId"] for item in succeeded}
    assert {item["jobStatus"] for item in succeeded} == {"SUCCEEDED"}
    assert finished_run not in {item["runId"] for item in running}


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ({}, 400, "InvalidInput", "environment"),
        ({"environment": "doeks-never-made"}, 404, "EnvironmentNotFound", "environment"),
        ({"environment": "doeks-api", "status": "DONE"}, 400, "InvalidInput", "status"),
        ({"environment": "doeks-api", "limit": "0"}, 400, "InvalidInput", "limit"),
        ({"environment": "doeks-api", "limit": "101"}, 400, "InvalidInput", "limit"),
        ({"environment": "doeks-api", "nextToken": "forged"}, 400, "InvalidInput", "nextToken"),
    ],
    ids=["no-environment", "unknown-environment", "unknown-status", "limit-0", "limit-101", "forged-token"],
)
def test_list_jobs_refusals(
    world: ApiWorld, query: dict[str, str], status: int, code: str, field: str
) -> None:
    # Given a listing request without its environment, or with a parameter out of bounds
    # When it is sent
    answer = world.call(proxy_event("GET", "/jobs", query=query))
    # Then it is refused, naming the parameter
    assert answer.status == status
    assert answer.error == (code, field)


def test_list_jobs_refuses_a_token_of_another_environment(world: ApiWorld, finished_run: str) -> None:
    # Given a page token handed out for the environment's runs, and another READY environment
    first = world.call(proxy_event("GET", "/jobs", query={"environment": world.environment, "limit": "1"}))
    token = first.body["nextToken"] or _token_for(world)
    world.register("doeks-other-env", "READY")
    # When the token is used to list the other environment's runs
    answer = world.call(
        proxy_event("GET", "/jobs", query={"environment": "doeks-other-env", "nextToken": token})
    )
    # Then it is refused
    assert answer.status == 400
    assert answer.error == ("InvalidInput", "nextToken")


def _token_for(world: ApiWorld) -> str:
    from batch_on_eks.aws import page_tokens

    token = page_tokens.encode(
        {"runId": "r", "environment": world.environment, "statusCreatedAt": "SUCCEEDED#1"}
    )
    assert token is not None
    return token


# -- GET /jobs/{id} ------------------------------------------------------------------------------------------
def test_get_job_of_a_finished_run(world: ApiWorld, finished_run: str) -> None:
    # Given a finished run
    # When it is read
    answer = world.call(proxy_event("GET", **job_path(finished_run)))
    # Then it reports the outcome, the job, the pod, the node, the exit code and the log links
    assert answer.status == 200
    body = answer.body
    assert body["status"] == "SUCCEEDED"
    assert body["executionStatus"] == "SUCCEEDED"
    assert body["jobStatus"] == "SUCCEEDED"
    assert body["exitCode"] == 0
    assert body["podName"].startswith("aws-batch.")
    assert body["nodeName"]
    assert body["logLinks"]["logStream"].startswith(f"{body['nodeName']}-application.var.log.containers.")
    assert [entry["status"] for entry in body["timeline"]][-1] == "SUCCEEDED"
    assert body["error"] is None
    assert body["arrayChildren"] is None  # no array job


def test_get_job_of_an_array_run_counts_its_children(world: ApiWorld) -> None:
    # Given an array run of 5 children, child 2 failing, ended
    body = {
        "environment": world.environment,
        "jobName": "array",
        "jobDefinition": world.job_definition('test "$AWS_BATCH_JOB_ARRAY_INDEX" != 2'),
        "arraySize": 5,
    }
    started = world.call(proxy_event("POST", "/jobs", body=body))
    assert started.status == 202, started.body
    assert world.aws.wait_for_execution(started.body["executionArn"], BOUND)["status"] == "FAILED"
    # When it is read
    answer = world.call(proxy_event("GET", **job_path(started.body["id"])))
    # Then its children are counted per status, the failed one named
    assert answer.status == 200
    assert answer.body["error"] == "BatchJobFailed"
    assert answer.body["arrayChildren"] == {
        "size": 5,
        "counts": {"SUCCEEDED": 4, "FAILED": 1},
        "failedIndexes": [2],
        "failedTotal": 1,
        "complete": True,
    }


@pytest.mark.parametrize(
    ("run_id", "status", "code"),
    [
        ("run-never-started", 404, "RunNotFound"),
        ("has space", 400, "InvalidInput"),
        ("x" * 81, 400, "InvalidInput"),
    ],
    ids=["unknown", "invalid-characters", "too-long"],
)
def test_get_job_unknown_or_invalid_id(world: ApiWorld, run_id: str, status: int, code: str) -> None:
    # Given an id no run has (or no run can have)
    # When it is read
    answer = world.call(proxy_event("GET", **job_path(run_id)))
    # Then it is 404 (400 for an id that breaks the pattern), on the id
    assert answer.status == status
    assert answer.error == (code, "id")


def test_get_job_of_a_run_that_failed_validation(world: ApiWorld) -> None:
    # Given a run whose job definition does not exist: its Validate step fails it, and no run is recorded
    accepted = world.call(
        proxy_event(
            "POST", "/jobs", body={"environment": "doeks-api", "jobName": "a", "jobDefinition": "nope"}
        )
    )
    assert accepted.status == 202
    world.aws.wait_for_execution(accepted.body["executionArn"], BOUND)
    # When it is read
    answer = world.call(proxy_event("GET", **job_path(accepted.body["id"])))
    # Then the execution's outcome is the answer: FAILED, InvalidInput, the field in the cause
    assert answer.status == 200
    assert answer.body["status"] == "FAILED"
    assert answer.body["error"] == "InvalidInput"
    assert "jobDefinition" in answer.body["cause"]
    assert answer.body["jobId"] is None


def test_get_job_of_a_console_run_with_an_odd_input(world: ApiWorld) -> None:
    # Given a run started from the console with an input of the wrong types (it fails InvalidInput)
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=world.run_job_arn,
        name="console-odd-input",
        input=json.dumps({"environment": 5, "jobName": []}),
    )["executionArn"]
    world.aws.wait_for_execution(arn, BOUND)
    # When it is read through the API
    answer = world.call(proxy_event("GET", **job_path("console-odd-input")))
    # Then it is reported (FAILED, InvalidInput), with what cannot be shown left out, never a 5xx
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["error"]) == ("FAILED", "InvalidInput")
    assert answer.body["environment"] is None


# -- POST /jobs/{id}/cancel ----------------------------------------------------------------------------------
def test_cancel_a_finished_run_is_409(world: ApiWorld, finished_run: str) -> None:
    # Given a finished run
    # When it is cancelled
    answer = world.call(proxy_event("POST", **job_path(finished_run, "/cancel")))
    # Then it is 409 RunFinished
    assert answer.status == 409
    assert answer.error == ("RunFinished", "id")


def test_cancel_an_unknown_run_is_404(world: ApiWorld) -> None:
    answer = world.call(proxy_event("POST", **job_path("run-never-started", "/cancel")))
    assert answer.status == 404
    assert answer.error == ("RunNotFound", "id")


# -- GET /jobs/{id}/logs -------------------------------------------------------------------------------------
def test_logs_of_a_finished_run(world: ApiWorld, finished_run: str) -> None:
    # Given a finished hello-world run
    # When its last line is asked for
    answer = world.call(proxy_event("GET", **job_path(finished_run, "/logs"), query={"limit": "1"}))
    # Then it is the line the command printed, from the container's stream
    assert answer.status == 200
    assert [line["message"] for line in answer.body["lines"]] == ["Hello World!"]
    assert answer.body["logGroup"] == "/aws/containerinsights/doeks-api/application"
    assert answer.body["truncated"] is False


@pytest.mark.parametrize(
    ("run_id", "limit", "status", "code", "field"),
    [
        ("run-never-started", "5", 404, "RunNotFound", "id"),
        ("run-x", "0", 400, "InvalidInput", "limit"),
        ("run-x", "1001", 400, "InvalidInput", "limit"),
        ("run-x", "many", 400, "InvalidInput", "limit"),
    ],
    ids=["unknown", "limit-0", "limit-1001", "limit-not-a-number"],
)
def test_logs_refusals(world: ApiWorld, run_id: str, limit: str, status: int, code: str, field: str) -> None:
    answer = world.call(proxy_event("GET", **job_path(run_id, "/logs"), query={"limit": limit}))
    assert answer.status == status
    assert answer.error == (code, field)


def test_every_run_this_module_started_ended(world: ApiWorld) -> None:
    # Given the runs the tests above started
    # When the run-job state machine's executions are listed
    executions = world.executions(world.run_job_arn)
    # Then none is left running once they have had their time (runs are fast here)
    for execution in executions:
        world.aws.wait_for_execution(execution["executionArn"], BOUND)
    assert (
        boto3.client("stepfunctions").list_executions(
            stateMachineArn=world.run_job_arn, statusFilter="RUNNING"
        )["executions"]
        == []
    )
