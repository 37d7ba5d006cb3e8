"""Issue 5, the pure parts of the event entry points and the stack's lifecycle: execution names from event
ids, the "Run Finished" event's content, CloudFormation's response body, the stack-deletion decisions, and
the embedded EventBridge's input transformation (what the schedule rule relies on)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batch_on_eks.adapters.environment_listing import EnvironmentSummary
from batch_on_eks.logic import stack_lifecycle
from batch_on_eks.logic.run_ended import ExecutionEnded, completion_detail, outcome_of
from batch_on_eks.logic.run_requests import execution_name, run_job_state_machine_arn
from batch_on_eks.models.custom_resource import CustomResourceRequest
from batch_on_eks.models.run import Run
from batch_on_eks.settings import Settings
from local.embedded_aws.event_bus import target_input

EVENTS = Path(__file__).resolve().parent.parent / "events"
SETTINGS = Settings("doeks", "doeks-runs", "doeks-environments", 90, "us-east-1")
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:doeks-run-job:run-1"


# -- execution names ----------------------------------------------------------------------------------------
def test_an_event_id_names_the_execution() -> None:
    # Given EventBridge's event ids (UUIDs)
    event_id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    # When an execution is named after one
    # Then the name is the id with the trigger's prefix, the same every time
    assert execution_name("event-", event_id) == f"event-{event_id}"
    assert execution_name("schedule-", event_id) == f"schedule-{event_id}"


@pytest.mark.parametrize("event_id", ["a" * 200, "id with spaces", "id:with/colons", "é"])
def test_an_id_unfit_for_a_name_is_hashed_into_a_valid_one(event_id: str) -> None:
    # When the id is long or has characters an execution name must not have
    name = execution_name("event-", event_id)
    # Then the name is still valid, at most 80 characters, and stable for that id
    assert len(name) <= 80
    assert name.startswith("event-")
    assert all(c.isalnum() or c in "-_" for c in name)
    assert name == execution_name("event-", event_id)


def test_the_run_job_state_machine_is_found_from_the_functions_own_arn() -> None:
    arn = run_job_state_machine_arn(
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:x-RunRequests", "doeks"
    )
    assert arn == "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:doeks-run-job"


# -- the "Run Finished" event -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error", "outcome"),
    [
        ("SUCCEEDED", None, "SUCCEEDED"),
        ("FAILED", "BatchJobFailed", "FAILED"),
        ("FAILED", "InvalidInput", "FAILED"),
        ("FAILED", "JobCancelled", "CANCELLED"),
        ("FAILED", "JobTimedOut", "TIMED_OUT"),
        ("FAILED", "JobStuckRunnable", "FAILED"),
        ("TIMED_OUT", "States.Timeout", "TIMED_OUT"),
        ("ABORTED", None, "ABORTED"),
    ],
)
def test_the_outcome_of_each_ending(status: str, error: str | None, outcome: str) -> None:
    assert outcome_of(status, error) == outcome


def ended(status: str, **fields: Any) -> ExecutionEnded:
    detail = {
        "name": "run-1",
        "executionArn": EXECUTION,
        "status": status,
        "startDate": 1000,
        "stopDate": 2000,
    }
    return ExecutionEnded.from_detail({**detail, **fields})


def recorded_run() -> Run:
    """A run whose job's last event is the fixture's SUCCEEDED event (pod and node known)."""
    detail = json.loads((EVENTS / "batch_job_state_change_eks_succeeded.json").read_text())["detail"]
    return Run(
        run_id="run-1",
        environment="doeks-aws-batch",
        cluster_name="doeks-aws-batch",
        namespace="doeks-aws-batch",
        queue_arn=detail["jobQueue"],
        job_definition="doeks-aws-batch-hello-world",
        job_name=detail["jobName"],
        submit_request={},
        created_at=0,
        deadline=0,
        runnable_limit_seconds=3600,
        heartbeat_seconds=300,
        job_id=detail["jobId"],
        last_detail=detail,
    )


def test_a_success_is_announced_from_the_executions_output() -> None:
    # Given a succeeded execution whose output is the run's result
    output = {"jobId": "j-1", "podName": "p", "nodeName": "n", "exitCode": 0, "status": "SUCCEEDED"}
    output["logLinks"] = {"logGroup": "g"}
    # When its event is built
    detail = completion_detail(ended("SUCCEEDED", output=json.dumps(output)), None, "us-east-1")
    # Then it carries the output's job, pod, exit code and links, and the run's times
    assert detail["status"] == "SUCCEEDED"
    assert detail["runId"] == "run-1"
    assert (detail["jobId"], detail["podName"], detail["nodeName"], detail["exitCode"]) == (
        "j-1",
        "p",
        "n",
        0,
    )
    assert detail["logLinks"] == {"logGroup": "g"}
    assert detail["jobStatus"] == "SUCCEEDED"
    assert detail["cause"] is None
    assert (detail["startedAt"], detail["stoppedAt"]) == (
        "1970-01-01T00:00:01.000Z",
        "1970-01-01T00:00:02.000Z",
    )


def test_a_stop_is_announced_from_what_the_runs_table_knows() -> None:
    # Given a stopped execution (no output, no Cause) of a run whose job's pod is recorded
    run = recorded_run()
    # When its event is built
    detail = completion_detail(ended("ABORTED"), run, "us-east-1")
    # Then the job, pod, node and exit code come from the run's last report, with links computed from them
    assert detail["status"] == "ABORTED"
    assert detail["jobId"] == run.job_id
    assert detail["jobName"] == run.job_name
    assert detail["podName"]
    assert detail["nodeName"]
    links = detail["logLinks"]
    assert links["logGroup"] == "/aws/containerinsights/doeks-aws-batch/application"
    assert links["logStream"] is None  # not looked up: the group and the Insights query work without it
    assert detail["podName"] in links["insightsQuery"]


def test_a_named_failure_is_announced_from_its_cause() -> None:
    # Given a failed execution whose Cause is the run's JSON
    cause = json.dumps(
        {"jobId": "j-2", "exitCode": 3, "podName": "p2", "statusReason": "Essential container"}
    )
    # When its event is built
    detail = completion_detail(ended("FAILED", error="BatchJobFailed", cause=cause), None, "us-east-1")
    # Then the failure is named, and the Cause's fields are the event's
    assert (detail["status"], detail["error"], detail["cause"]) == ("FAILED", "BatchJobFailed", cause)
    assert (detail["jobId"], detail["exitCode"], detail["podName"]) == ("j-2", 3, "p2")
    assert detail["statusReason"] == "Essential container"


# -- CloudFormation's response ------------------------------------------------------------------------------
def request(request_type: str = "Delete", **properties: str) -> CustomResourceRequest:
    return CustomResourceRequest.model_validate(
        {
            "RequestType": request_type,
            "ResponseURL": "https://example.invalid/response",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
            "RequestId": "r-1",
            "ResourceType": stack_lifecycle.ENVIRONMENTS_TEARDOWN,
            "LogicalResourceId": "EnvironmentsTeardownOnDelete",
            "PhysicalResourceId": "doeks-environments-teardown",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:1:function:f", **properties},
            "SomethingNew": "ignored",
        }
    )


def test_the_response_answers_its_request_and_stays_under_cloudformations_size_limit() -> None:
    # When a FAILED answer with a very long reason is built
    body = request().response("FAILED", "doeks-environments-teardown", "x" * 10_000, {"Environments": "a"})
    # Then it names the request it answers, and fits CloudFormation's 4096-byte limit
    assert body["StackId"] == "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"
    assert body["RequestId"] == "r-1"
    assert body["LogicalResourceId"] == "EnvironmentsTeardownOnDelete"
    assert body["Status"] == "FAILED"
    assert body["Data"] == {"Environments": "a"}
    assert len(json.dumps(body).encode()) < 4096
    assert body["Reason"].endswith("...")


def test_the_refusal_names_each_environment_and_the_command_that_removes_it() -> None:
    live = [EnvironmentSummary("doeks-a", "READY", None), EnvironmentSummary("doeks-b", "FAILED", None)]
    teardown = "arn:aws:states:us-east-1:123456789012:stateMachine:doeks-teardown-environment"
    reason = stack_lifecycle.refusal(live, teardown, "us-east-1")
    assert "doeks-a (READY), doeks-b (FAILED)" in reason
    for name in ("doeks-a", "doeks-b"):
        command = stack_lifecycle.teardown_command(teardown, name, "us-east-1")
        assert command in reason
        assert command.endswith(f"""--input '{{"name":"{name}"}}'""")


@pytest.mark.parametrize("status", ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"])
def test_a_delete_that_is_an_updates_cleanup_leaves_the_environments(
    monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    # Given a Delete request while the stack is being updated (the resource was replaced, not the stack
    # deleted), and environments that exist
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(stack_lifecycle.cloudformation, "stack_status", lambda stack_id: status)
    monkeypatch.setattr(stack_lifecycle.cloudformation, "send_response", lambda url, body: sent.append(body))

    def never(*args: Any) -> Any:
        raise AssertionError("looked for environments to remove")

    monkeypatch.setattr(stack_lifecycle, "environments_to_remove", never)
    # When it is handled
    stack_lifecycle.handle(request(TeardownEnvironmentsOnDelete="true"), SETTINGS)
    # Then the answer is SUCCESS, and nothing was looked at or torn down
    (body,) = sent
    assert body["Status"] == "SUCCESS"
    assert status in body["Reason"]


# -- the embedded EventBridge's input transformer -----------------------------------------------------------
EVENT = {"id": "e-1", "time": "2025-01-01T00:00:00Z", "detail-type": "Scheduled Event", "detail": {"n": 1}}


def test_a_placeholder_in_quotes_is_the_values_text_and_one_without_is_its_json() -> None:
    target = {
        "InputTransformer": {
            "InputPathsMap": {"id": "$.id", "detail": "$.detail", "missing": "$.detail.nothing"},
            "InputTemplate": '{"id": "<id>", "detail": <detail>, "missing": <missing>}',
        }
    }
    assert target_input(target, EVENT, "arn:rule", "rule") == {
        "id": "e-1",
        "detail": {"n": 1},
        "missing": None,
    }


def test_a_target_gets_its_constant_input_or_its_input_path() -> None:
    assert target_input({"Input": '{"a": 1}'}, EVENT, "arn:rule", "rule") == {"a": 1}
    assert target_input({"InputPath": "$.detail"}, EVENT, "arn:rule", "rule") == {"n": 1}
    assert target_input({}, EVENT, "arn:rule", "rule") == EVENT
