"""The REST API over HTTP, through the local bridge (local/embedded_aws/api_bridge.py) and the real handler,
against runs the embedded AWS really executes: a job posted runs to its end and is reported with its pod and
links; its log's last lines; a cancelled job ends the run JobCancelled with its Batch job terminated; an
Idempotency-Key starts one execution however often it is sent."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from local.embedded_aws.api_bridge import ApiBridge
from tests.api.support import BOUND, ApiWorld

ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@pytest.fixture(scope="module")
def api(world: ApiWorld) -> Iterator[str]:
    with ApiBridge(world.aws, world.stack) as bridge:
        yield bridge.url


def run_until(api: str, run_id: str, done: Any, bound: float = BOUND) -> dict[str, Any]:
    """GET /jobs/{id} until ``done(body)`` (polled: the bound only stops a hung test)."""
    deadline = time.monotonic() + bound
    while True:
        answer = requests.get(f"{api}/jobs/{run_id}", timeout=BOUND)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def post_job(api: str, world: ApiWorld, command: str, **extra: Any) -> requests.Response:
    body = {
        "environment": world.environment,
        "jobName": "api-run",
        "jobDefinition": world.job_definition(command),
    }
    return requests.post(f"{api}/jobs", json={**body, **extra.pop("body", {})}, timeout=BOUND, **extra)


def test_posted_job_runs_to_its_end_and_get_reports_pod_node_and_links(api: str, world: ApiWorld) -> None:
    # Given a job that prints three lines
    # When it is posted
    accepted = post_job(api, world, "echo one; echo two; echo three")
    # Then it is accepted with the run to follow
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    run_id = accepted.json()["id"]
    assert location == f"/v1/jobs/{run_id}"
    # And following the Location, the run ends SUCCEEDED
    run = run_until(api, run_id, lambda body: body["status"] in ENDED)
    assert run["status"] == "SUCCEEDED", run
    # And it reports the job, the pod, the node, the exit code, the timeline and the log links
    job = boto3.client("batch").describe_jobs(jobs=[run["jobId"]])["jobs"][0]
    assert job["status"] == "SUCCEEDED"
    assert run["podName"] == job["eksAttempts"][-1]["podName"]
    assert run["nodeName"] == job["eksAttempts"][-1]["nodeName"]
    assert run["exitCode"] == 0
    assert [entry["status"] for entry in run["timeline"]] == ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
    links = run["logLinks"]
    assert links["logGroup"] == f"/aws/containerinsights/{world.environment}/application"
    assert links["logStream"].startswith(
        f"{run['nodeName']}-application.var.log.containers.{run['podName']}_"
    )
    assert links["logStreamUrl"].startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/home")
    assert run["podName"] in links["insightsQuery"]


def test_logs_limit_two_are_the_commands_last_two_lines(api: str, world: ApiWorld) -> None:
    # Given a finished run of a job that printed four lines
    accepted = post_job(api, world, "echo first; echo second; echo third; echo fourth")
    run_id = accepted.json()["id"]
    world.aws.wait_for_execution(accepted.json()["executionArn"], BOUND)
    # When its log's last two lines are asked for
    answer = requests.get(f"{api}/jobs/{run_id}/logs", params={"limit": 2}, timeout=BOUND)
    # Then they are the command's last two lines, oldest first
    assert answer.status_code == 200, answer.text
    assert [line["message"] for line in answer.json()["lines"]] == ["third", "fourth"]
    assert (
        answer.json()["logStream"]
        == requests.get(f"{api}/jobs/{run_id}", timeout=BOUND).json()["logLinks"]["logStream"]
    )


def test_cancel_a_running_job_ends_the_run_job_cancelled_and_terminates_the_batch_job(
    api: str, world: ApiWorld
) -> None:
    # Given a run whose job is RUNNING (a job that would sleep for 60 s)
    accepted = post_job(api, world, "echo started; sleep 60")
    run_id = accepted.json()["id"]
    running = run_until(api, run_id, lambda body: body["jobStatus"] == "RUNNING")
    assert running["jobStatus"] == "RUNNING", running
    # When it is cancelled
    cancelled = requests.post(f"{api}/jobs/{run_id}/cancel", timeout=BOUND)
    # Then the cancel is accepted, with the run to follow
    assert cancelled.status_code == 202, cancelled.text
    assert cancelled.headers["Location"] == f"/v1/jobs/{run_id}"
    # And the run ends FAILED with error JobCancelled
    description = world.aws.wait_for_execution(accepted.json()["executionArn"], BOUND)
    assert description["status"] == "FAILED"
    assert description["error"] == "JobCancelled"
    run = requests.get(f"{api}/jobs/{run_id}", timeout=BOUND).json()
    assert run["status"] == "FAILED"
    assert run["error"] == "JobCancelled"
    # And the Batch job was terminated, with the API's reason, long before its 60 s
    job = boto3.client("batch").describe_jobs(jobs=[running["jobId"]])["jobs"][0]
    assert job["status"] == "FAILED"
    assert "Cancelled through the control plane's API" in job["statusReason"]
    # And cancelling it again is 409: it has ended
    again = requests.post(f"{api}/jobs/{run_id}/cancel", timeout=BOUND)
    assert again.status_code == 409
    assert again.json()["code"] == "RunFinished"


def test_the_same_idempotency_key_twice_starts_one_execution(api: str, world: ApiWorld) -> None:
    # Given a run request with an Idempotency-Key
    definition = world.job_definition("echo once")
    body = {"environment": world.environment, "jobName": "idempotent", "jobDefinition": definition}
    key = {"Idempotency-Key": f"key-{time.monotonic_ns()}"}
    before = len(world.executions(world.run_job_arn))
    # When it is sent twice, the second time after the run has ended
    first = requests.post(f"{api}/jobs", json=body, headers=key, timeout=BOUND)
    world.aws.wait_for_execution(first.json()["executionArn"], BOUND)
    second = requests.post(f"{api}/jobs", json=body, headers=key, timeout=BOUND)
    # Then both are 202 with the same Location and execution, and only one execution was started
    assert first.status_code == second.status_code == 202
    assert first.headers["Location"] == second.headers["Location"]
    assert first.json()["executionArn"] == second.json()["executionArn"]
    assert (first.json()["newExecution"], second.json()["newExecution"]) == (True, False)
    assert len(world.executions(world.run_job_arn)) == before + 1
    # And one Batch job ran
    job_name_prefix = "idempotent_"
    jobs = [
        summary
        for queue in world.batch.queue_arns
        for summary in boto3.client("batch").list_jobs(
            jobQueue=queue, filters=[{"name": "JOB_NAME", "values": [f"{job_name_prefix}*"]}]
        )["jobSummaryList"]
    ]
    assert len(jobs) == 1
    # And the same key with a different request is refused, starting nothing
    other = requests.post(f"{api}/jobs", json={**body, "jobName": "other"}, headers=key, timeout=BOUND)
    assert other.status_code == 409
    assert other.json() == {
        "code": "IdempotencyKeyReused",
        "message": other.json()["message"],
        "field": "Idempotency-Key",
    }
    assert len(world.executions(world.run_job_arn)) == before + 1


def test_the_same_key_from_another_caller_is_another_request(world: ApiWorld) -> None:
    # Given two bridges, each authenticating a different caller
    body = {
        "environment": world.environment,
        "jobName": "callers",
        "jobDefinition": world.job_definition("true"),
    }
    key = {"Idempotency-Key": "shared-key"}
    arns = []
    for caller in ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob"):
        with ApiBridge(world.aws, world.stack, caller_arn=caller) as bridge:
            # When each sends the same key
            answer = requests.post(f"{bridge.url}/jobs", json=body, headers=key, timeout=BOUND)
            assert answer.status_code == 202, answer.text
            arns.append(answer.json()["executionArn"])
    # Then each started its own run
    assert arns[0] != arns[1]
    for arn in arns:
        world.aws.wait_for_execution(arn, BOUND)


def test_a_bridge_with_a_token_answers_401_without_it(world: ApiWorld) -> None:
    # Given a bridge that requires a bearer token
    with ApiBridge(world.aws, world.stack, token="local-secret") as bridge:
        # When a request comes without the token, or with another one
        missing = requests.get(f"{bridge.url}/environments", timeout=BOUND)
        wrong = requests.get(
            f"{bridge.url}/environments", headers={"Authorization": "Bearer nope"}, timeout=BOUND
        )
        right = requests.get(
            f"{bridge.url}/environments", headers={"Authorization": "Bearer local-secret"}, timeout=BOUND
        )
    # Then those are 401 (with the error format), and the one with the token is answered
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert refused.json()["code"] == "Unauthorized"
    assert right.status_code == 200


def test_the_bridge_serves_errors_methods_and_the_document_over_http(api: str) -> None:
    # Given the bridge
    # When an unknown route, a wrong method, a path outside the stage and the document are asked for
    unknown = requests.get(f"{api}/clusters", timeout=BOUND)
    wrong = requests.put(f"{api}/jobs", timeout=BOUND)
    outside = requests.get(api.removesuffix("/v1") + "/jobs", timeout=BOUND)
    document = requests.get(f"{api}/openapi.json", timeout=BOUND)
    huge = requests.post(
        f"{api}/jobs",
        data=b"{" + b" " * (1024 * 1024) + b"}",
        timeout=BOUND,
        headers={"Content-Type": "application/json"},
    )
    # Then each has its status, JSON body and headers
    assert (unknown.status_code, unknown.json()["code"]) == (404, "RouteNotFound")
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "GET, POST")
    assert outside.status_code == 404
    assert document.status_code == 200
    assert document.headers["Content-Type"] == "application/json"
    assert document.json()["paths"].keys() >= {"/jobs", "/jobs/{id}", "/environments"}
    assert (huge.status_code, huge.json()["code"]) == (413, "PayloadTooLarge")
    assert json.loads(unknown.text)["field"] is None
