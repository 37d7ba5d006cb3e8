"""Runs started by EventBridge (a client's "Run Job Requested" event, the stack's schedule) and the
"Run Finished" event the control plane publishes, through the template's own rules in the embedded AWS."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from local.embedded_aws.event_bus import aws_event
from local.embedded_aws.server import EmbeddedAws
from tests.runs.batch_env import create_batch_on_eks, register_environment
from tests.runs.run_job_support import RunJobWorld

ENVIRONMENT = "doeks-tests"
SCHEDULED_JOB_DEFINITION = "doeks-tests-scheduled"
BOUND = 60.0


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> RunJobWorld:
    """The template deployed with a schedule, and a READY environment with on-demand and Spot queues."""
    stack = aws.deploy(
        parameters={
            "ScheduleExpression": "rate(1 day)",
            "ScheduledEnvironment": ENVIRONMENT,
            "ScheduledJobDefinition": SCHEDULED_JOB_DEFINITION,
        }
    )
    batch = create_batch_on_eks(
        f"{ENVIRONMENT}-JQ1_OD", cluster_name=ENVIRONMENT, more_queues=(f"{ENVIRONMENT}-JQ1_SPOT",)
    )
    register_environment(stack.outputs["EnvironmentsTableName"], ENVIRONMENT, batch)
    return RunJobWorld(aws, stack, ENVIRONMENT, batch)


@pytest.fixture(scope="module")
def run_finished_queue(world: RunJobWorld) -> str:
    """A subscriber: an SQS queue that a rule of its own fills with every "Run Finished" event."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="run-finished-subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="run-finished-subscriber",
        EventPattern=json.dumps({"source": ["batch-on-eks"], "detail-type": ["Run Finished"]}),
    )
    events.put_targets(Rule="run-finished-subscriber", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def run_job_arn(world: RunJobWorld) -> str:
    return world.state_machine_arn


def execution_named(world: RunJobWorld, name: str) -> str:
    return run_job_arn(world).replace(":stateMachine:", ":execution:") + f":{name}"


def executions_named(world: RunJobWorld, name: str) -> list[dict[str, Any]]:
    found = boto3.client("stepfunctions").list_executions(stateMachineArn=run_job_arn(world))["executions"]
    return [e for e in found if e["name"] == name]


def run_request(detail: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """A "Run Job Requested" event as EventBridge delivers it (the id is EventBridge's)."""
    message = aws_event("batch-on-eks.client", "Run Job Requested", detail, "123456789012", "us-east-1", [])
    return {**message, "id": event_id or message["id"]}


def run_finished_event(queue_url: str, run_id: str, bound_seconds: float = BOUND) -> dict[str, Any]:
    """The "Run Finished" event of ``run_id`` that the subscriber's queue received (polled, bounded)."""
    sqs = boto3.client("sqs")
    deadline = time.monotonic() + bound_seconds
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"]["runId"] == run_id:
                return dict(event)
        time.sleep(0.1)
    raise AssertionError(f"no Run Finished event for {run_id}")


# -- "Run Job Requested" ----------------------------------------------------------------------------------
def test_a_run_job_requested_event_starts_a_run_named_after_the_event(world: RunJobWorld) -> None:
    # Given a job definition, and a client that puts a "Run Job Requested" event on the default bus
    definition = world.job_definition("echo from an event")
    detail = {"environment": ENVIRONMENT, "jobName": "from-event", "jobDefinition": definition}
    entries = [
        {"Source": "batch-on-eks.client", "DetailType": "Run Job Requested", "Detail": json.dumps(detail)}
    ]
    # When it is put
    answer = boto3.client("events").put_events(Entries=entries)
    event_id = answer["Entries"][0]["EventId"]
    # Then the template's rule hands it to the entry point, which starts the run named event-<EventId>
    assert world.aws.runtime.wait_async_idle(BOUND)
    description = world.wait(execution_named(world, f"event-{event_id}"))
    assert description["status"] == "SUCCEEDED", description.get("cause")
    # And the run is the one asked for (its input is the event's detail)
    assert json.loads(description["input"]) == detail
    assert json.loads(description["output"])["exitCode"] == 0


def test_a_redelivered_event_starts_nothing_new(world: RunJobWorld) -> None:
    # Given a "Run Job Requested" event, delivered once and handled
    definition = world.job_definition("echo once")
    event = run_request({"environment": ENVIRONMENT, "jobName": "once", "jobDefinition": definition})
    assert world.aws.bus.publish(event).done.wait(BOUND)
    name = f"event-{event['id']}"
    world.wait(execution_named(world, name))
    invoked = world.aws.signals.counts["invoked:StartRequestedRunFunction"]
    # When EventBridge delivers the same event again (same id), after the run has ended
    assert world.aws.bus.publish(event).done.wait(BOUND)
    # Then the entry point handled it, and there is still one run of that name
    assert world.aws.signals.counts["invoked:StartRequestedRunFunction"] == invoked + 1
    assert len(executions_named(world, name)) == 1
    # And nothing went to the undelivered-events queue (a duplicate is not a failure)
    queue = world.stack.outputs["UndeliveredEventsQueueUrl"]
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_an_event_for_another_control_planes_environment_is_not_this_ones(world: RunJobWorld) -> None:
    # Given an event for an environment of another ResourcePrefix, and one naming a queue of ours by ARN
    foreign = run_request({"environment": "other-aws-batch", "jobName": "not-ours"})
    by_queue = run_request({"jobQueue": world.batch.queue_arn, "jobName": "by-queue", "heartbeatSeconds": 2})
    invoked = world.aws.signals.counts["invoked:StartRequestedRunFunction"]
    # When both are put on the bus
    assert world.aws.bus.publish(foreign).done.wait(BOUND)
    assert world.aws.bus.publish(by_queue).done.wait(BOUND)
    # Then the rule matched only the one for this control plane: one run, for the queue's event
    assert world.aws.signals.counts["invoked:StartRequestedRunFunction"] == invoked + 1
    assert executions_named(world, f"event-{foreign['id']}") == []
    assert len(executions_named(world, f"event-{by_queue['id']}")) == 1


# -- the schedule -------------------------------------------------------------------------------------------
def test_a_schedule_tick_runs_the_scheduled_job_definition_once(world: RunJobWorld) -> None:
    # Given the stack's schedule (ScheduleExpression), and its job definition
    world.batch.register_job_definition(SCHEDULED_JOB_DEFINITION, ["/bin/sh", "-c", "echo scheduled"])
    rule_name = world.stack.ref("ScheduledRunRule")
    rule = boto3.client("events").describe_rule(Name=rule_name)
    assert rule["ScheduleExpression"] == "rate(1 day)"
    # When the schedule ticks
    delivery = world.aws.bus.fire_schedule(rule_name)
    assert delivery.done.wait(BOUND)
    # Then a run named after the tick's event id ran the scheduled job definition on the scheduled environment
    runs = [
        e
        for e in boto3.client("stepfunctions").list_executions(stateMachineArn=run_job_arn(world))[
            "executions"
        ]
        if e["name"].startswith("schedule-")
    ]
    assert len(runs) == 1
    description = world.wait(runs[0]["executionArn"])
    assert description["status"] == "SUCCEEDED", description.get("cause")
    assert json.loads(description["input"]) == {
        "environment": ENVIRONMENT,
        "jobName": "scheduled",
        "jobDefinition": SCHEDULED_JOB_DEFINITION,
    }
    # And a scheduled rule matches no event put on the bus (it fires on its schedule only)
    invoked = world.aws.signals.counts["invoked:StartRequestedRunFunction"]
    boto3.client("events").put_events(
        Entries=[{"Source": "somebody.else", "DetailType": "Anything", "Detail": "{}"}]
    )
    assert world.aws.runtime.wait_async_idle(BOUND)
    assert world.aws.signals.counts["invoked:StartRequestedRunFunction"] == invoked


# -- "Run Finished" -----------------------------------------------------------------------------------------
def test_a_succeeded_run_is_announced_with_its_job_pod_and_log_links(
    world: RunJobWorld, run_finished_queue: str
) -> None:
    # Given a run that succeeds
    execution = world.start({"jobName": "announced", "jobDefinition": world.job_definition("echo done")})
    output = json.loads(world.wait(execution)["output"])
    run_id = execution.rsplit(":", 1)[-1]
    # When its execution's end has been handled
    event = run_finished_event(run_finished_queue, run_id)
    # Then the control plane published "Run Finished" with the run's outcome, job, pod, node and links
    assert event["source"] == "batch-on-eks"
    assert event["detail-type"] == "Run Finished"
    assert event["resources"] == [execution]
    detail = event["detail"]
    assert detail["status"] == "SUCCEEDED"
    assert detail["executionStatus"] == "SUCCEEDED"
    assert detail["error"] is None
    for field in ("jobId", "podName", "nodeName", "exitCode", "logLinks", "environment"):
        assert detail[field] == output[field], field
    assert detail["exitCode"] == 0
    assert detail["logLinks"]["logStreamUrl"]
    assert detail["stoppedAt"] >= detail["startedAt"]


def test_a_failed_run_is_announced_failed_with_its_exit_code(
    world: RunJobWorld, run_finished_queue: str
) -> None:
    # Given a run whose container exits 3
    execution = world.start({"jobName": "exits-3", "jobDefinition": world.job_definition("exit 3")})
    assert world.wait(execution)["status"] == "FAILED"
    # When its end has been handled
    detail = run_finished_event(run_finished_queue, execution.rsplit(":", 1)[-1])["detail"]
    # Then it is announced FAILED, with the run's error and Cause, the exit code and the log links
    assert detail["status"] == "FAILED"
    assert detail["error"] == "BatchJobFailed"
    assert detail["exitCode"] == 3
    assert detail["podName"]
    assert detail["logLinks"]["insightsUrl"]
    assert json.loads(detail["cause"])["exitCode"] == 3


def test_a_stopped_run_is_announced_aborted_after_its_job_is_terminated(
    world: RunJobWorld, run_finished_queue: str
) -> None:
    # Given a run whose job is RUNNING
    job_name = f"stopped-{uuid.uuid4().hex[:6]}"
    execution = world.start(
        {"jobName": job_name, "jobDefinition": world.job_definition("sleep 30"), "heartbeatSeconds": 60}
    )
    run_id = execution.rsplit(":", 1)[-1]
    runs = boto3.resource("dynamodb").Table(world.stack.outputs["RunsTableName"])
    deadline = time.monotonic() + BOUND
    while (
        runs.get_item(Key={"runId": run_id}, ConsistentRead=True).get("Item", {}).get("jobStatus")
        != "RUNNING"
    ):
        assert time.monotonic() < deadline, "the job never ran"
        time.sleep(0.05)
    # When someone stops the execution
    boto3.client("stepfunctions").stop_execution(executionArn=execution, cause="not needed")
    # Then the run is announced ABORTED, with its job and pod as the runs table knows them
    detail = run_finished_event(run_finished_queue, run_id)["detail"]
    assert detail["status"] == "ABORTED"
    assert detail["executionStatus"] == "ABORTED"
    assert detail["stoppedAt"] >= detail["startedAt"]
    assert detail["jobId"]
    assert detail["podName"]
    assert detail["logLinks"]["insightsQuery"]
    # And the abort guard still terminated the job
    item = runs.get_item(Key={"runId": run_id}, ConsistentRead=True)["Item"]
    assert item["cancelRequested"].startswith("Cancelled: the run's execution")
