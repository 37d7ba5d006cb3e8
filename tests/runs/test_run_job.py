"""The run-job workflow end to end: the real ``run_job.asl.json`` and the real handlers in the embedded AWS,
with the data plane emulator running the jobs and emitting Batch's own events.

Each case reads what a user reads (the execution's status, output, Error and Cause) and checks it against
what AWS says (DescribeJobs, ListJobs, CloudWatch Logs, the runs table). Synchronisation is by the
execution's end, done events and signals; every timeout is an upper bound, never a sleep.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime
from typing import Any

import boto3
import pytest

from batch_on_eks.runs.validate import unique_job_name
from local.embedded_aws.server import EmbeddedAws
from tests.runs.batch_env import create_batch_on_eks, register_environment
from tests.runs.run_job_support import RunJobWorld, run_job_world

BOUND = 30.0  # an upper bound on every wait, never a synchronisation
HAPPY_PATH = ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
# A run's execution enters these states, whatever happens while its job runs: it waits once.
WAITED_ONCE_AND_FAILED = ["Validate", "SubmitAndWait", "Result", "Outcome", "JobFailed"]
ENDED_BY_THE_RECONCILER = ["Validate", "SubmitAndWait"]  # the task failed with the reconciler's error


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> RunJobWorld:
    return run_job_world(aws, reconciler=True)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def output_of(description: dict[str, Any]) -> dict[str, Any]:
    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    return dict(json.loads(description["output"]))


def failure_of(description: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A failed execution's Error and its Cause (JSON)."""
    assert description["status"] == "FAILED", description
    return str(description["error"]), dict(json.loads(description["cause"]))


def describe_job(job_id: str) -> dict[str, Any]:
    jobs = boto3.client("batch").describe_jobs(jobs=[job_id])["jobs"]
    assert len(jobs) == 1, f"DescribeJobs found {len(jobs)} jobs for {job_id}"
    return dict(jobs[0])


def log_lines(group: str, stream: str) -> list[str]:
    """The lines the container printed, as Fluent Bit shipped them (JSON records with a ``log`` field)."""
    events = boto3.client("logs").get_log_events(logGroupName=group, logStreamName=stream)["events"]
    return [json.loads(e["message"])["log"].rstrip("\n") for e in events]


def assert_stream_exists(links: dict[str, Any]) -> None:
    streams = boto3.client("logs").describe_log_streams(
        logGroupName=links["logGroup"], logStreamNamePrefix=links["logStream"]
    )["logStreams"]
    assert [s["logStreamName"] for s in streams] == [links["logStream"]]


def the_job(world: RunJobWorld, job_name: str) -> dict[str, Any]:
    jobs = [j for j in world.jobs_named(f"{job_name}_") if ":" not in j["jobId"]]  # no array children
    assert len(jobs) == 1, f"{len(jobs)} jobs named {job_name}_*"
    return jobs[0]


def batch_job_name(job_name: str, execution_arn: str) -> str:
    """The job's name in Batch: the asked-for name plus 8 hex digits of the run id (the execution name)."""
    return f"{job_name}_{hashlib.sha256(execution_arn.rsplit(':', 1)[-1].encode()).hexdigest()[:8]}"


def submitted_job_id(world: RunJobWorld, job_name: str, execution_arn: str) -> str:
    """The run's job id, once SubmitJob has created the job."""
    assert world.aws.signals.wait(f"submitted:{batch_job_name(job_name, execution_arn)}", BOUND)
    return str(the_job(world, job_name)["jobId"])


def run_item(world: RunJobWorld, execution_arn: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(world.stack.outputs["RunsTableName"])
    run_id = execution_arn.rsplit(":", 1)[-1]
    item = table.get_item(Key={"runId": run_id}, ConsistentRead=True).get("Item")
    assert item is not None, f"no run {run_id}"
    return dict(item)


# -- (a) the job succeeds -----------------------------------------------------------------------------------
@pytest.mark.parametrize("queue", [None, "doeks-tests-JQ1_SPOT"], ids=["on-demand", "spot"])
def test_succeeded_run_hands_back_pod_node_timeline_and_log_links(
    world: RunJobWorld, queue: str | None
) -> None:
    # Given a fast job definition that prints a line, on the default (on-demand) queue or the Spot queue
    job_name = unique("hello")
    run_input: dict[str, Any] = {
        "jobName": job_name,
        "jobDefinition": world.job_definition("echo hello-from-job"),
    }
    if queue is not None:
        run_input["jobQueue"] = queue
    # When the run is started and ends
    execution = world.start(run_input)
    output = output_of(world.wait(execution))
    # Then it succeeded with the job's id, status, exit code, pod and node
    job = the_job(world, job_name)
    assert output["jobId"] == job["jobId"]
    assert output["status"] == "SUCCEEDED"
    assert output["exitCode"] == 0
    assert re.fullmatch(r"aws-batch\.[0-9a-f-]{36}", output["podName"])
    assert output["nodeName"]
    # And the job ran on the queue asked for
    expected_queue = queue or "doeks-tests-JQ1_OD"
    assert describe_job(job["jobId"])["jobQueue"].endswith(f":job-queue/{expected_queue}")
    # And the timeline has every status, each with an ISO timestamp, in order
    timeline = output["timeline"]
    assert [entry["status"] for entry in timeline] == HAPPY_PATH
    stamps = [datetime.fromisoformat(entry["at"].replace("Z", "+00:00")) for entry in timeline]
    assert stamps == sorted(stamps)
    # And the log links name a stream that really exists in CloudWatch Logs and holds the job's output
    links = output["logLinks"]
    assert links["logGroup"] == "/aws/containerinsights/doeks-tests/application"
    assert links["logStream"].startswith(
        f"{output['nodeName']}-application.var.log.containers.{output['podName']}_"
    )
    assert_stream_exists(links)
    assert "hello-from-job" in log_lines(links["logGroup"], links["logStream"])
    assert links["logStreamUrl"].startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/home")
    assert links["insightsUrl"].startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/home")
    assert output["podName"] in links["insightsQuery"]


# -- (b) the job fails --------------------------------------------------------------------------------------
def test_non_zero_exit_fails_the_run_with_exit_code_reason_and_links(world: RunJobWorld) -> None:
    # Given a job whose command writes to stderr and exits 3
    job_name = unique("exits-3")
    definition = world.job_definition("echo something-went-wrong >&2; exit 3")
    # When the run is started and ends
    error, cause = failure_of(world.wait(world.start({"jobName": job_name, "jobDefinition": definition})))
    # Then it failed BatchJobFailed, and the Cause carries the exit code, Batch's reason and the container's
    assert error == "BatchJobFailed"
    job = the_job(world, job_name)
    assert cause["jobId"] == job["jobId"]
    assert cause["exitCode"] == 3
    assert cause["statusReason"] == describe_job(job["jobId"])["statusReason"]
    assert cause["statusReason"]
    assert cause["reason"]
    # And the links, whose stream holds what the command wrote to stderr
    links = cause["logLinks"]
    assert cause["podName"] in links["insightsQuery"]
    assert_stream_exists(links)
    assert "something-went-wrong" in log_lines(links["logGroup"], links["logStream"])
    assert links["logStreamUrl"]
    assert links["insightsUrl"]


# -- (g) the job never leaves RUNNABLE ----------------------------------------------------------------------
def test_job_stuck_in_runnable_is_terminated_and_the_run_fails_job_stuck_runnable(world: RunJobWorld) -> None:
    # Given a job that never leaves RUNNABLE, and a run that allows 1 s there and is checked after 1 s quiet
    job_name = unique("stuck")
    world.aws.faults.job(f"{job_name}_*", stuck_runnable=True)
    run_input = {
        "jobName": job_name,
        "jobDefinition": world.job_definition("echo never"),
        "runnableTimeoutSeconds": 1,
        "heartbeatSeconds": 1,
    }
    # When the run is started and ends
    execution = world.start(run_input)
    error, cause = failure_of(world.wait(execution))
    # Then it failed JobStuckRunnable: the reconciler failed its waiting task, the execution never looped
    assert error == "JobStuckRunnable"
    assert world.entered_states(execution) == ENDED_BY_THE_RECONCILER
    job_id = the_job(world, job_name)["jobId"]
    assert cause["jobId"] == job_id
    assert cause["lastStatus"] == "RUNNABLE"
    # And Batch's job was terminated with that reason
    assert world.aws.batch.done_event(job_id).wait(BOUND)
    job = describe_job(job_id)
    assert job["status"] == "FAILED"
    assert job["statusReason"].startswith("JobStuckRunnable")


# -- the run's own deadline ----------------------------------------------------------------------------------
def test_a_run_past_its_deadline_terminates_its_job_and_fails_job_timed_out(world: RunJobWorld) -> None:
    # Given a running job whose run is checked after each second of quiet
    job_name = unique("overdue")
    execution = world.start(
        {"jobName": job_name, "jobDefinition": world.job_definition("sleep 30"), "heartbeatSeconds": 1}
    )
    run_id = execution.rsplit(":", 1)[-1]
    runs = boto3.resource("dynamodb").Table(world.stack.outputs["RunsTableName"])
    assert world.aws.signals.wait(f"submitted:{unique_job_name(job_name, run_id)}", BOUND)
    job_id = the_job(world, job_name)["jobId"]
    assert world.aws.signals.wait(f"delivered:{job_id}:RUNNING", BOUND)
    # When its deadline passes (the time the run allows is moved, not waited for: the table keeps it)
    runs.update_item(
        Key={"runId": run_id}, UpdateExpression="SET deadline = :past", ExpressionAttributeValues={":past": 1}
    )
    error, cause = failure_of(world.wait(execution))
    # Then the reconciler's next tick ends it JobTimedOut, and Batch's job is terminated with that reason
    assert error == "JobTimedOut"
    assert world.entered_states(execution) == ENDED_BY_THE_RECONCILER
    assert cause["jobId"] == job_id
    assert cause["lastStatus"] == "RUNNING"
    assert world.aws.batch.done_event(job_id).wait(BOUND)
    job = describe_job(job_id)
    assert job["status"] == "FAILED"
    assert job["statusReason"].startswith("JobTimedOut")
    # And the abort guard, hearing the execution FAILED, left the run's own ending alone
    assert world.aws.wait_idle(BOUND)
    assert "cancelRequested" not in runs.get_item(Key={"runId": run_id}, ConsistentRead=True)["Item"]


# -- (i) array jobs ------------------------------------------------------------------------------------------
def test_array_job_with_a_failing_child_fails_on_the_parents_event(world: RunJobWorld) -> None:
    # Given an array job of 3 children whose child 1 fails
    job_name = unique("array")
    definition = world.job_definition('test "$AWS_BATCH_JOB_ARRAY_INDEX" != 1')
    # When the run is started and ends
    execution = world.start({"jobName": job_name, "jobDefinition": definition, "arraySize": 3})
    error, cause = failure_of(world.wait(execution))
    # Then it failed BatchJobFailed once the parent and every child had ended, Batch's reason counting the
    # failed child
    assert error == "BatchJobFailed"
    parent = the_job(world, job_name)
    assert cause["jobId"] == parent["jobId"]
    described = describe_job(parent["jobId"])
    assert described["status"] == "FAILED"
    assert cause["statusReason"] == described["statusReason"]
    assert "1 of 3" in cause["statusReason"]
    assert cause["arrayProperties"]["size"] == 3
    assert cause["arrayProperties"]["statusSummary"]["FAILED"] == 1
    assert cause["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 2
    # And the run's own record of its children: each child's end once, and which one failed
    assert cause["arrayChildren"] == {
        "size": 3,
        "counts": {"SUCCEEDED": 2, "FAILED": 1},
        "failedIndexes": [1],
        "failedTotal": 1,
        "complete": True,
    }
    assert world.aws.wait_idle(BOUND)
    item = run_item(world, execution)
    # And no child ended the run: the run's status, timeline and job are the parent's
    assert item["jobId"] == parent["jobId"]
    assert item["jobStatus"] == "FAILED"
    assert [entry["status"] for entry in item["timeline"]][-1] == "FAILED"
    assert sum(1 for entry in item["timeline"] if entry["status"] in ("FAILED", "SUCCEEDED")) == 1


# -- (j) the run is stopped, or the job is cancelled by someone ---------------------------------------------
def test_stopped_execution_has_its_running_job_terminated(world: RunJobWorld) -> None:
    # Given a run whose job runs long, and is RUNNING (its RUNNING event has been handled)
    job_name = unique("long")
    execution = world.start(
        {"jobName": job_name, "jobDefinition": world.job_definition("sleep 30"), "heartbeatSeconds": 60}
    )
    job_id = submitted_job_id(world, job_name, execution)
    assert world.aws.signals.wait(f"delivered:{job_id}:RUNNING", BOUND)
    # When someone stops the execution
    boto3.client("stepfunctions").stop_execution(executionArn=execution, cause="changed my mind")
    # Then the execution is ABORTED and the abort guard terminates the job, saying why
    assert world.wait(execution)["status"] == "ABORTED"
    assert world.aws.batch.done_event(job_id).wait(BOUND), "the job was not terminated"
    job = describe_job(job_id)
    assert job["status"] == "FAILED"
    assert job["statusReason"].startswith("Cancelled")
    assert execution.rsplit(":", 1)[-1] in job["statusReason"]


def test_job_cancelled_by_someone_ends_the_run_job_cancelled(world: RunJobWorld) -> None:
    # Given a run whose job stays RUNNABLE, with no check due for a long while
    job_name = unique("cancelled")
    world.aws.faults.job(f"{job_name}_*", stuck_runnable=True)
    execution = world.start(
        {"jobName": job_name, "jobDefinition": world.job_definition("echo never"), "heartbeatSeconds": 600}
    )
    job_id = submitted_job_id(world, job_name, execution)
    assert world.aws.signals.wait(f"delivered:{job_id}:RUNNABLE", BOUND)
    # When someone else terminates the job
    boto3.client("batch").terminate_job(jobId=job_id, reason="operator: wrong input file")
    # Then the run ends at once (on the job's FAILED event) with JobCancelled and Batch's reason
    error, cause = failure_of(world.wait(execution))
    assert error == "JobCancelled"
    assert cause["jobId"] == job_id
    assert cause["statusReason"] == "operator: wrong input file"
    assert world.entered_states(execution) == WAITED_ONCE_AND_FAILED
    assert {entry["source"] for entry in run_item(world, execution)["timeline"]} == {"event"}


# -- (k) and input errors: nothing is submitted -------------------------------------------------------------
def assert_nothing_submitted(world: RunJobWorld, execution: str, job_name: str) -> None:
    assert "SubmitAndWait" not in world.entered_states(execution)
    assert world.jobs_named(f"{job_name}_") == []


OTHER_ACCOUNT_QUEUE = "arn:aws:batch:us-east-1:999999999999:job-queue/doeks-tests-JQ1_OD"


@pytest.mark.parametrize(
    "queue",
    [
        pytest.param("doeks-tests-JQ9", id="not-the-environments-queue"),
        pytest.param("doeks-other-JQ1_OD", id="queue-of-no-environment"),
        pytest.param("other-JQ1_OD", id="queue-outside-the-prefix"),
        pytest.param(OTHER_ACCOUNT_QUEUE, id="another-accounts-arn"),
    ],
)
def test_queue_that_is_not_ours_fails_invalid_input_before_submitting(world: RunJobWorld, queue: str) -> None:
    # Given a job queue that is not one of this control plane's environments' (some exist in Batch)
    if not queue.startswith("arn:") and queue != "doeks-tests-JQ9":
        create_batch_on_eks(queue, cluster_name=queue.rsplit("-", 1)[0])
    # When a run names it as its queue, without an environment
    job_name = unique("elsewhere")
    execution = world.start(
        {"environment": None, "jobQueue": queue, "jobName": job_name, "jobDefinition": "anything"}
    )
    error, cause = failure_of(world.wait(execution))
    # Then it fails InvalidInput naming jobQueue, and nothing was submitted
    assert error == "InvalidInput"
    assert [p["field"] for p in cause["problems"]] == ["jobQueue"]
    assert_nothing_submitted(world, execution, job_name)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"jobName": "not a job name!"}, "jobName", id="bad-job-name"),
        pytest.param({"colour": "blue"}, "colour", id="unknown-field"),
        pytest.param(
            {"containerOverrides": {"command": ["echo", "hi"]}},
            "containerOverrides",
            id="container-overrides",
        ),
        pytest.param({"arraySize": 1}, "arraySize", id="array-of-one"),
        pytest.param({"environment": "doeks-nowhere"}, "environment", id="unknown-environment"),
        pytest.param({"jobDefinition": "no-such-definition"}, "jobDefinition", id="unknown-job-definition"),
    ],
)
def test_input_error_fails_invalid_input_naming_the_field(
    world: RunJobWorld, fields: dict[str, Any], field: str
) -> None:
    # Given a run input with one thing wrong
    job_name = unique("bad-input")
    run_input = {"jobName": job_name, "jobDefinition": world.job_definition("echo hi"), **fields}
    # When the run is started
    execution = world.start(run_input)
    error, cause = failure_of(world.wait(execution))
    # Then it fails InvalidInput, the Cause naming that field (and only it), and nothing was submitted
    assert error == "InvalidInput"
    assert [problem["field"] for problem in cause["problems"]] == [field]
    assert all(problem["rule"] for problem in cause["problems"])
    assert_nothing_submitted(world, execution, job_name)


def test_environment_not_ready_fails_at_once(world: RunJobWorld) -> None:
    # Given an environment that is still provisioning
    environment = unique("doeks-provisioning")
    register_environment(
        world.stack.outputs["EnvironmentsTableName"], environment, world.batch, "PROVISIONING"
    )
    # When a run names it
    job_name = unique("too-early")
    execution = world.start(
        {"environment": environment, "jobName": job_name, "jobDefinition": world.job_definition("echo hi")}
    )
    description = world.wait(execution)
    # Then it fails EnvironmentNotReady at once, saying the status, and nothing was submitted
    assert description["status"] == "FAILED"
    assert description["error"] == "EnvironmentNotReady"
    assert "PROVISIONING" in description["cause"]
    assert world.entered_states(execution) == ["Validate", "ReadEnvironmentNotReady", "EnvironmentNotReady"]
    assert_nothing_submitted(world, execution, job_name)


# -- overrides ----------------------------------------------------------------------------------------------
def test_command_and_env_overrides_reach_the_job(world: RunJobWorld) -> None:
    # Given a job definition that prints something else, and a run that overrides its command and env
    job_name = unique("overridden")
    run_input = {
        "jobName": job_name,
        "jobDefinition": world.job_definition("echo not-overridden"),
        "command": ["/bin/sh", "-c", "echo $GREETING"],
        "env": {"GREETING": "hi"},
        "tags": {"team": "data"},
    }
    # When the run is started and ends
    output = output_of(world.wait(world.start(run_input)))
    # Then the container ran the overriding command with the overriding variable
    links = output["logLinks"]
    assert log_lines(links["logGroup"], links["logStream"]) == ["hi"]
    # And the job carries the user's tags next to the run id
    tags = describe_job(output["jobId"])["tags"]
    assert tags["team"] == "data"
    assert tags["batch-on-eks:run-id"] == output["runId"]


def test_a_job_definition_not_made_for_eks_fails_invalid_input(world: RunJobWorld) -> None:
    # Given an ACTIVE job definition for ECS (containerProperties, no eksProperties)
    definition = unique("ecs-only")
    boto3.client("batch").register_job_definition(
        jobDefinitionName=definition,
        type="container",
        containerProperties={
            "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
            "command": ["echo", "hi"],
            "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "512"}],
        },
    )
    # When a run names it
    job_name = unique("ecs-def")
    execution = world.start({"jobName": job_name, "jobDefinition": definition})
    error, cause = failure_of(world.wait(execution))
    # Then the run fails InvalidInput naming jobDefinition, before anything is submitted
    assert error == "InvalidInput"
    assert [problem["field"] for problem in cause["problems"]] == ["jobDefinition"]
    assert "eksProperties" in cause["problems"][0]["rule"]
    assert_nothing_submitted(world, execution, job_name)
