"""The embedded AWS, through the test stack in ``stack/template.yaml``: deployed from the template itself,
handlers run in-process behind Lambda, EventBridge and Step Functions, and the Batch-on-EKS data plane
emulator runs real commands, confined, and reports them as AWS Batch does."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.embedded_aws.deploy.template import load_template
from local.embedded_aws.server import EmbeddedAws
from tests.emulator.conftest import TEST_STACK
from tests.runs.batch_env import BatchOnEks, create_batch_on_eks

STACK_NAME = "embedded-test"


@pytest.fixture(scope="module")
def stack(aws: EmbeddedAws) -> Any:
    return aws.deploy(TEST_STACK, STACK_NAME)


@pytest.fixture(scope="module")
def env(stack: Any) -> BatchOnEks:
    return create_batch_on_eks("test-embedded")


def recorded(stack: Any, recorder_logical_id: str) -> list[dict[str, Any]]:
    """The events a recorder function received, in arrival order."""
    table = boto3.resource("dynamodb").Table(stack.outputs["RecordsTableName"])
    items = table.query(
        KeyConditionExpression=boto3.dynamodb.conditions.Key("recorder").eq(
            f"{STACK_NAME}-{recorder_logical_id}"
        )
    )["Items"]
    return [json.loads(item["event"]) for item in sorted(items, key=lambda i: i["seq"])]


def job_events(stack: Any, job_id: str, recorder: str = "RecorderFunction") -> list[dict[str, Any]]:
    return [e for e in recorded(stack, recorder) if e["detail"].get("jobId") == job_id]


def run_to_end(aws: EmbeddedAws, job_id: str) -> dict[str, Any]:
    assert aws.batch.done_event(job_id).wait(60), f"job {job_id} did not end"
    assert aws.wait_idle(60)
    job: dict[str, Any] = boto3.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
    return job


# -- deployment -------------------------------------------------------------------------------------------
def test_the_stack_is_deployed_from_its_template(aws: EmbeddedAws, stack: Any) -> None:
    # Given the test template
    template = load_template(TEST_STACK)
    # Then every function it declares is a Lambda function with the template's environment
    functions = {f["FunctionName"]: f for f in boto3.client("lambda").list_functions()["Functions"]}
    declared = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"]
    for logical_id in declared:
        configuration = functions[f"{STACK_NAME}-{logical_id}"]
        assert configuration["Environment"]["Variables"]["RECORDS_TABLE"] == f"{STACK_NAME}-RecordsTable"
    # And the state machine's definition has its substitutions resolved
    definition = boto3.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.outputs["StateMachineArn"]
    )["definition"]
    assert "${" not in definition
    assert aws.runtime.function("StepFunction").arn in definition
    # And each EventBridge rule carries the template's pattern, with intrinsics resolved
    rules = boto3.client("events").list_rules()["Rules"]
    patterns = [json.loads(r["EventPattern"]) for r in rules if "EventPattern" in r]
    assert {"prefix": f"arn:aws:batch:us-east-1:{aws.account}:job-queue/test-"} in [
        p.get("detail", {}).get("jobQueue", [None])[0] for p in patterns
    ]
    # And nothing in the template was skipped as not emulated
    assert stack.not_emulated == {}


# -- Step Functions with the handlers behind it ----------------------------------------------------------
def test_lambda_task_and_catch_on_the_handlers_own_error(aws: EmbeddedAws, stack: Any) -> None:
    # When the state machine runs a task whose handler raises StepRefused
    sfn = boto3.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"],
        name=f"catch-{uuid.uuid4()}",
        input=json.dumps({"value": "x", "second": "fail"}),
    )
    result = aws.wait_for_execution(started["executionArn"])
    # Then the first task's result came from the real handler and the Catch on the error type took over
    assert result["status"] == "SUCCEEDED"
    output = json.loads(result["output"])
    assert output["echo"] == {"echoed": "x"}
    assert output["caught"]["Error"] == "StepRefused"
    assert json.loads(output["caught"]["Cause"])["errorMessage"] == "refused: x"


def test_callback_task_ends_with_the_token_and_times_out_on_a_lapsed_heartbeat(
    aws: EmbeddedAws, stack: Any
) -> None:
    sfn = boto3.client("stepfunctions")
    table = boto3.resource("dynamodb").Table(stack.outputs["RecordsTableName"])

    def parked_token(value: str) -> str:
        items = table.query(KeyConditionExpression=boto3.dynamodb.conditions.Key("recorder").eq("tokens"))[
            "Items"
        ]
        return next(str(i["token"]) for i in items if i["value"] == value)

    # Given an execution waiting on its token
    value = str(uuid.uuid4())
    answered = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"],
        name=f"cb-{value}",
        input=json.dumps({"value": value, "second": "echo"}),
    )
    assert aws.signals.wait("invoked:StepFunction")
    for _ in range(200):  # the parked token appears once the callback task's handler has run
        try:
            token = parked_token(value)
            break
        except StopIteration:
            aws.runtime.wait_async_idle(0.05)
    # When the token is answered, Then the task ends with that output
    sfn.send_task_success(taskToken=token, output=json.dumps({"answer": 42}))
    result = aws.wait_for_execution(answered["executionArn"])
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["callback"] == {"answer": 42}

    # Given another execution whose token is never answered, Then HeartbeatSeconds lapses as States.Timeout
    lapsed = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"],
        name=f"hb-{uuid.uuid4()}",
        input=json.dumps({"value": "lapse", "second": "echo"}),
    )
    result = aws.wait_for_execution(lapsed["executionArn"])
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["timedOut"]["Error"] == "States.Timeout"


def test_execution_status_change_events_reach_a_rules_function_stop_execution_included(
    aws: EmbeddedAws, stack: Any
) -> None:
    sfn = boto3.client("stepfunctions")
    # Given an execution parked on its callback task
    name = f"stop-{uuid.uuid4()}"
    started = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"],
        name=name,
        input=json.dumps({"value": name, "second": "echo"}),
    )
    # When it is stopped
    sfn.stop_execution(executionArn=started["executionArn"], error="Stopped", cause="by the test")
    assert aws.wait_for_execution(started["executionArn"])["status"] == "ABORTED"
    assert aws.wait_idle(30)
    # Then the rule's function heard RUNNING and ABORTED for it, once each, in the documented shape
    # (EventBridge does not promise delivery order, and the embedded one delivers on several workers)
    heard = [
        e
        for e in recorded(stack, "RecorderFunction")
        if e["source"] == "aws.states" and e["detail"]["executionArn"] == started["executionArn"]
    ]
    assert sorted(e["detail"]["status"] for e in heard) == ["ABORTED", "RUNNING"]
    mine = {e["detail"]["status"]: e for e in heard}
    aborted = mine["ABORTED"]
    assert aborted["detail-type"] == "Step Functions Execution Status Change"
    assert aborted["detail"]["name"] == name
    assert aborted["resources"] == [started["executionArn"]]
    assert aborted["detail"]["stopDate"] >= mine["RUNNING"]["detail"]["startDate"]


# -- the Batch-on-EKS data plane ---------------------------------------------------------------------------
def test_a_job_reports_each_status_in_order_with_pod_node_and_exit_code(
    aws: EmbeddedAws, stack: Any, env: BatchOnEks
) -> None:
    # Given a job definition of our own whose command prints $((6*7))
    definition = env.register_job_definition(
        f"arith-{uuid.uuid4().hex[:8]}", ["/bin/sh", "-c", "echo $((6*7))"]
    )
    # When a job is submitted with plain boto3 to the EKS queue
    job_id = boto3.client("batch").submit_job(
        jobName="arith", jobQueue=env.queue_name, jobDefinition=definition
    )["jobId"]
    described = run_to_end(aws, job_id)
    # Then the recording function got RUNNABLE, STARTING, RUNNING and SUCCEEDED, once each (no SUBMITTED),
    # stamped in that order (EventBridge does not promise delivery order, so arrival order is not checked)
    lifecycle = ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
    events = sorted(job_events(stack, job_id), key=lambda e: lifecycle.index(e["detail"]["status"]))
    assert [e["detail"]["status"] for e in events] == lifecycle
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    assert {e["detail-type"] for e in events} == {"Batch Job State Change"}
    assert {e["source"] for e in events} == {"aws.batch"}
    # And from STARTING on, the events name the pod and node; the last one has the exit code
    pods = {e["detail"]["eksProperties"]["podProperties"].get("podName") for e in events[1:]}
    (pod,) = pods
    assert pod.startswith("aws-batch.")
    node = events[-1]["detail"]["eksProperties"]["podProperties"]["nodeName"]
    assert node.startswith("ip-10-1-")
    assert node.endswith(".ec2.internal")
    final = events[-1]["detail"]
    assert final["eksAttempts"][0]["containers"][0]["exitCode"] == 0
    assert final["eksAttempts"][0]["podNamespace"] == env.namespace
    assert isinstance(final["createdAt"], int)
    assert final["stoppedAt"] >= final["startedAt"] >= final["createdAt"]
    # And DescribeJobs agrees with the last event, field for field
    assert described["status"] == "SUCCEEDED"
    assert described["eksAttempts"] == final["eksAttempts"]
    assert described["eksProperties"] == final["eksProperties"]
    # And the unmatched rule's function heard nothing of it
    assert job_events(stack, job_id, "UnmatchedRecorderFunction") == []
    # And the command's output is in the Container Insights log stream named after node, pod and container
    attempt = described["eksAttempts"][0]
    cluster = env.cluster_arn.rsplit("/", 1)[-1]
    container = attempt["containers"][0]
    stream = (
        f"{attempt['nodeName']}-application.var.log.containers."
        f"{attempt['podName']}_{env.namespace}_{container['name']}-{container['containerID']}.log"
    )
    log_events = boto3.client("logs").get_log_events(
        logGroupName=f"/aws/containerinsights/{cluster}/application", logStreamName=stream
    )["events"]
    assert [json.loads(e["message"])["log"] for e in log_events] == ["42"]


def test_describe_jobs_agrees_with_every_event_at_the_time_it_was_sent(
    aws: EmbeddedAws, stack: Any, env: BatchOnEks
) -> None:
    # Given a job whose RUNNING event is held until the test has looked at DescribeJobs
    definition = env.register_job_definition(f"agree-{uuid.uuid4().hex[:8]}", ["/bin/sh", "-c", "echo ok"])
    name = f"agree-{uuid.uuid4().hex[:8]}"
    release = f"release-{name}"
    aws.faults.events(name, hold={"RUNNABLE": release})
    job_id = boto3.client("batch").submit_job(
        jobName=name, jobQueue=env.queue_name, jobDefinition=definition
    )["jobId"]
    run_to_end(aws, job_id)
    # When the held RUNNABLE event is released after the job has ended
    aws.signals.fire(release)
    assert aws.signals.wait(f"delivered:{job_id}:RUNNABLE")
    assert aws.wait_idle(30)
    # Then it still says what DescribeJobs said when the job was RUNNABLE (no pod yet), not what it says now
    events = {e["detail"]["status"]: e["detail"] for e in job_events(stack, job_id)}
    assert "podName" not in events["RUNNABLE"]["eksProperties"]["podProperties"]
    assert events["RUNNABLE"]["eksAttempts"] == []
    assert events["SUCCEEDED"]["eksAttempts"][0]["containers"][0]["exitCode"] == 0


@pytest.mark.parametrize(
    ("label", "command"),
    [
        ("write-outside", "echo escaped > /work/escaped && echo wrote"),
        ("write-usr", "echo escaped > /usr/escaped && echo wrote"),
        (
            "network",
            "exec python3 -c \"import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)\"",
        ),
    ],
)
def test_a_job_cannot_leave_its_sandbox(
    aws: EmbeddedAws, stack: Any, env: BatchOnEks, label: str, command: str
) -> None:
    # Given a job whose command tries to write outside its sandbox or reach the network
    definition = env.register_job_definition(f"{label}-{uuid.uuid4().hex[:8]}", ["/bin/sh", "-c", command])
    job_id = boto3.client("batch").submit_job(
        jobName=label, jobQueue=env.queue_name, jobDefinition=definition
    )["jobId"]
    # Then the job fails with the command's non-zero exit code, and nothing escaped
    described = run_to_end(aws, job_id)
    assert described["status"] == "FAILED"
    assert described["eksAttempts"][-1]["containers"][0]["exitCode"] != 0
    assert not Path("/work/escaped").exists()
    assert not Path("/usr/escaped").exists()


def test_an_undeliverable_event_goes_to_the_rule_targets_dead_letter_queue(
    aws: EmbeddedAws, stack: Any
) -> None:
    # Given a rule whose function target does not exist, with a dead-letter queue on the target
    events, sqs = boto3.client("events"), boto3.client("sqs")
    dead_letters = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    source = f"test.{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=f"undeliverable-{source}", EventPattern=json.dumps({"source": [source]}))
    missing_function = f"arn:aws:lambda:us-east-1:{aws.account}:function:no-such-function"
    events.put_targets(
        Rule=f"undeliverable-{source}",
        Targets=[{"Id": "gone", "Arn": missing_function, "DeadLetterConfig": {"Arn": dead_letter_arn}}],
    )
    # When an event matching it is put on the bus
    events.put_events(Entries=[{"Source": source, "DetailType": "probe", "Detail": json.dumps({"n": 1})}])
    # Then the event sits in the target's dead-letter queue with the error AWS would give
    messages = sqs.receive_message(QueueUrl=dead_letters, MessageAttributeNames=["All"])["Messages"]
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"])["detail"] == {"n": 1}
    attributes = messages[0]["MessageAttributes"]
    assert attributes["ERROR_CODE"]["StringValue"] == "ResourceNotFoundException"
    assert attributes["TARGET_ARN"]["StringValue"] == missing_function


def test_an_execution_started_without_a_name_gets_one(stack: Any) -> None:
    # When an execution is started with no name, as the console and plain CLI calls may
    sfn = boto3.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"],
        input=json.dumps({"value": "anon", "second": "echo"}),
    )["executionArn"]
    # Then, as on AWS, it is named with a UUID
    name = sfn.describe_execution(executionArn=arn)["name"]
    assert str(uuid.UUID(name)) == name
    assert arn.endswith(f":{name}")
    sfn.stop_execution(executionArn=arn)
