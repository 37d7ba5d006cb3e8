"""The data plane emulator's faults, each observed where a consumer sees it.

Every case looks at what a consumer of Batch gets: the recording function's table (the events it was handed,
in arrival order), DescribeJobs, ListJobs and the failing function's OnFailure queue; never at the injector.
Synchronisation is by done events, signals and ``wait_idle``; their timeouts are upper bounds only.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from botocore.config import Config
from botocore.exceptions import ClientError

from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws
from tests.emulator.conftest import TEST_STACK
from tests.runs.batch_env import BatchOnEks, create_batch_on_eks

STACK_NAME = "faults-test"
QUEUE = "test-faults"
ECHO = ["sh", "-c", "echo hi"]
BOUND = 30.0  # an upper bound on every wait, never a synchronisation
NO_RETRIES = Config(retries={"total_max_attempts": 1})
HAPPY_PATH = ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class FaultsEnv:
    aws: EmbeddedAws
    stack: Stack
    batch_env: BatchOnEks
    job_ids: list[str] = field(default_factory=list)  # every job this module submitted

    # -- Batch, as a client uses it -----------------------------------------------------------------------
    def definition(self, command: list[str], **extra: Any) -> str:
        return self.batch_env.register_job_definition(unique("jd"), command, **extra)

    def submit(self, name: str, definition: str, client: Any = None, **extra: Any) -> str:
        batch = client or boto3.client("batch")
        response = batch.submit_job(jobName=name, jobQueue=QUEUE, jobDefinition=definition, **extra)
        job_id = str(response["jobId"])
        self.job_ids.append(job_id)
        return job_id

    def describe(self, job_id: str) -> dict[str, Any]:
        jobs = boto3.client("batch").describe_jobs(jobs=[job_id])["jobs"]
        assert len(jobs) == 1, f"DescribeJobs found {len(jobs)} jobs for {job_id}"
        return dict(jobs[0])

    def list_by_name(self, name: str) -> list[dict[str, Any]]:
        response = boto3.client("batch").list_jobs(
            jobQueue=QUEUE, filters=[{"name": "JOB_NAME", "values": [name]}]
        )
        return list(response["jobSummaryList"])

    def wait_terminal(self, job_id: str) -> None:
        """Wait until the job has ended and every event and invocation it caused has been handled."""
        assert self.aws.batch.done_event(job_id).wait(BOUND), f"job {job_id} did not end"
        assert self.aws.wait_idle(BOUND), "the embedded AWS did not become idle"

    # -- what the consumers got ---------------------------------------------------------------------------
    def items(self, function: str) -> list[dict[str, Any]]:
        """The items a recording function (by logical id) put in the records table, in arrival order."""
        table = boto3.resource("dynamodb").Table(self.stack.outputs["RecordsTableName"])
        query: dict[str, Any] = {"KeyConditionExpression": Key("recorder").eq(self.stack.ref(function))}
        found: list[dict[str, Any]] = []
        while True:
            page = table.query(**query)
            found.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda item: item["seq"])
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def events(self, job_id: str, function: str = "RecorderFunction") -> list[dict[str, Any]]:
        """The Batch events of ``job_id`` a recording function was handed, in arrival order."""
        events = [json.loads(item["event"]) for item in self.items(function) if "event" in item]
        return [e for e in events if e.get("detail", {}).get("jobId") == job_id]

    def statuses(self, job_id: str, function: str = "RecorderFunction") -> list[str]:
        return [e["detail"]["status"] for e in self.events(job_id, function)]

    def event(self, job_id: str, status: str) -> dict[str, Any]:
        """The one recorded event of ``job_id`` with ``status``."""
        matching = [e for e in self.events(job_id) if e["detail"]["status"] == status]
        assert len(matching) == 1, f"{len(matching)} {status} events recorded for {job_id}"
        return matching[0]


@pytest.fixture(scope="module")
def env(aws: EmbeddedAws) -> FaultsEnv:
    stack = aws.deploy(TEST_STACK, STACK_NAME)
    return FaultsEnv(aws, stack, create_batch_on_eks(QUEUE))


# -- event faults -------------------------------------------------------------------------------------------
def test_dropped_event_never_reaches_the_consumer(env: FaultsEnv) -> None:
    # Given a job whose SUCCEEDED event is dropped
    name = unique("dropped")
    env.aws.faults.events(name, drop=("SUCCEEDED",))
    # When it runs to its end and everything it caused has been handled
    job_id = env.submit(name, env.definition(ECHO))
    env.wait_terminal(job_id)
    # Then DescribeJobs says SUCCEEDED, yet the recorder never heard of it
    assert env.describe(job_id)["status"] == "SUCCEEDED"
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING"]


def test_duplicated_event_is_delivered_twice_with_one_event_id(env: FaultsEnv) -> None:
    # Given a job whose RUNNING event is duplicated
    name = unique("duplicated")
    env.aws.faults.events(name, duplicate=("RUNNING",))
    # When it runs to its end
    job_id = env.submit(name, env.definition(ECHO))
    env.wait_terminal(job_id)
    # Then the recorder got RUNNING twice, both copies with the same event id, every other status once
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING", "RUNNING", "SUCCEEDED"]
    running = [e for e in env.events(job_id) if e["detail"]["status"] == "RUNNING"]
    assert running[0]["id"] == running[1]["id"]
    assert len({e["id"] for e in env.events(job_id)}) == 4


def test_reordered_events_arrive_running_before_starting(env: FaultsEnv) -> None:
    # Given a job whose events are reordered
    name = unique("reordered")
    env.aws.faults.events(name, reorder=True)
    # When it runs to its end (the held STARTING event included)
    job_id = env.submit(name, env.definition(ECHO))
    env.wait_terminal(job_id)
    # Then the recorder got every status once, RUNNING before STARTING (by arrival sequence)
    statuses = env.statuses(job_id)
    assert sorted(statuses) == sorted(HAPPY_PATH)
    assert statuses.index("RUNNING") < statuses.index("STARTING")
    assert env.describe(job_id)["status"] == "SUCCEEDED"


def test_held_event_reaches_the_consumer_only_once_released(env: FaultsEnv) -> None:
    # Given a job whose SUCCEEDED event is held until a signal fires
    name = unique("held")
    release = unique("release")
    env.aws.faults.events(name, hold={"SUCCEEDED": release})
    job_id = env.submit(name, env.definition(ECHO))
    # When the job has ended and its RUNNING event has been handled
    assert env.aws.batch.done_event(job_id).wait(BOUND)
    assert env.aws.signals.wait(f"delivered:{job_id}:RUNNING", BOUND)
    # Then DescribeJobs says SUCCEEDED but the recorder has not heard of it
    assert env.describe(job_id)["status"] == "SUCCEEDED"
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING"]
    # When the hold is released and the event delivered
    env.aws.signals.fire(release)
    assert env.aws.signals.wait(f"delivered:{job_id}:SUCCEEDED", BOUND)
    # Then the recorder has it
    assert env.statuses(job_id) == HAPPY_PATH
    env.wait_terminal(job_id)


def test_failing_consumer_is_retried_then_its_event_goes_to_on_failure(env: FaultsEnv) -> None:
    # Given a job whose events go to a function that always fails (it hears jobs named failing-*)
    name = unique("failing")
    # When the job runs to its end and Lambda has given up on every event
    job_id = env.submit(name, env.definition(ECHO))
    env.wait_terminal(job_id)
    # Then the failing function ran 3 times (1 + 2 retries) for the SUCCEEDED event
    succeeded_id = env.event(job_id, "SUCCEEDED")["id"]
    attempts = [item for item in env.items("FailingFunction") if item["eventId"] == succeeded_id]
    assert len(attempts) == 3
    # And the OnFailure queue holds that event, with retries exhausted after 3 invocations
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{STACK_NAME}-FailuresQueue")["QueueUrl"]
    records = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        records.extend(json.loads(m["Body"]) for m in messages)
    mine = [r for r in records if r["requestPayload"]["detail"]["jobId"] == job_id]
    assert sorted(r["requestPayload"]["detail"]["status"] for r in mine) == sorted(HAPPY_PATH)
    record = next(r for r in mine if r["requestPayload"]["id"] == succeeded_id)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    # And the recorder, which also hears the job, got every event once
    assert env.statuses(job_id) == HAPPY_PATH


# -- job faults ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cause", ["fault", "command"])
def test_non_zero_exit_fails_the_job_with_its_exit_code(env: FaultsEnv, cause: str) -> None:
    # Given a job whose container exits 3, by a fault or by its own command
    name = unique(f"exit-{cause}")
    if cause == "fault":
        env.aws.faults.job(name, exit_code=3)
        command = ECHO
    else:
        command = ["sh", "-c", "echo bad >&2; exit 3"]
    # When it runs to its end
    job_id = env.submit(name, env.definition(command))
    env.wait_terminal(job_id)
    # Then DescribeJobs says FAILED with the exit code and a reason
    job = env.describe(job_id)
    assert job["status"] == "FAILED"
    assert job["eksAttempts"][-1]["containers"][0]["exitCode"] == 3
    assert job.get("statusReason")
    # And the recorded FAILED event carries the same exit code and reason
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING", "FAILED"]
    detail = env.event(job_id, "FAILED")["detail"]
    assert detail["eksAttempts"][-1]["containers"][0]["exitCode"] == 3
    assert detail["eksProperties"]["podProperties"]["containers"][0]["exitCode"] == 3
    assert detail["statusReason"] == job["statusReason"]


def test_stuck_runnable_job_stays_runnable_until_terminated(env: FaultsEnv) -> None:
    # Given a job that never leaves RUNNABLE
    name = unique("stuck")
    env.aws.faults.job(name, stuck_runnable=True)
    job_id = env.submit(name, env.definition(ECHO))
    # When its RUNNABLE event has been handled
    assert env.aws.signals.wait(f"delivered:{job_id}:RUNNABLE", BOUND)
    # Then it is RUNNABLE, and still is when asked again
    assert env.describe(job_id)["status"] == "RUNNABLE"
    assert env.statuses(job_id) == ["RUNNABLE"]
    assert env.describe(job_id)["status"] == "RUNNABLE"
    assert not env.aws.batch.done_event(job_id).is_set()
    # When it is terminated
    boto3.client("batch").terminate_job(jobId=job_id, reason="stuck")
    env.wait_terminal(job_id)
    # Then it FAILED with the termination's reason, and the recorder got that FAILED
    job = env.describe(job_id)
    assert (job["status"], job["statusReason"]) == ("FAILED", "stuck")
    assert env.statuses(job_id) == ["RUNNABLE", "FAILED"]
    assert env.event(job_id, "FAILED")["detail"]["statusReason"] == "stuck"


# -- submit faults ------------------------------------------------------------------------------------------
def test_throttled_submits_create_nothing(env: FaultsEnv) -> None:
    # Given SubmitJob throttled twice, and a client that does not retry
    env.aws.faults.throttle_submit(2)
    batch = boto3.client("batch", config=NO_RETRIES)
    name = unique("throttled")
    definition = env.definition(ECHO)
    # When the first two submits are made, Then each is refused and no job exists
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            env.submit(name, definition, client=batch)
        assert refused.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert env.list_by_name(name) == []
    # When the third is made, Then it succeeds and exactly one job exists, which runs to its end
    job_id = env.submit(name, definition, client=batch)
    assert [j["jobId"] for j in env.list_by_name(name)] == [job_id]
    env.wait_terminal(job_id)
    assert env.describe(job_id)["status"] == "SUCCEEDED"
    assert env.statuses(job_id) == HAPPY_PATH


def test_lost_submit_reply_still_creates_and_runs_the_job(env: FaultsEnv) -> None:
    # Given SubmitJob's next reply is lost after the job is created, and a client that does not retry
    env.aws.faults.lose_submit_reply()
    batch = boto3.client("batch", config=NO_RETRIES)
    name = unique("lost-reply")
    # When the job is submitted, Then the client sees a server error
    with pytest.raises(ClientError) as lost:
        batch.submit_job(jobName=name, jobQueue=QUEUE, jobDefinition=env.definition(ECHO))
    assert lost.value.response["Error"]["Code"] == "ServerException"
    # Yet ListJobs by its name finds exactly one job, which runs to SUCCEEDED
    listed = env.list_by_name(name)
    assert len(listed) == 1
    job_id = listed[0]["jobId"]
    env.job_ids.append(job_id)
    env.wait_terminal(job_id)
    assert env.describe(job_id)["status"] == "SUCCEEDED"
    assert env.statuses(job_id) == HAPPY_PATH


def test_held_submit_reply_answers_after_the_terminal_event(env: FaultsEnv) -> None:
    # Given SubmitJob's reply is held until the job's SUCCEEDED event has been delivered
    name = unique("held-reply")
    env.aws.faults.hold_submit_reply(name, until="delivered:{jobId}:SUCCEEDED")
    # When the job is submitted and SubmitJob answers
    job_id = env.submit(name, env.definition(ECHO))
    # Then the recorder already has the job's terminal event
    assert env.statuses(job_id) == HAPPY_PATH
    env.wait_terminal(job_id)


# -- retries ------------------------------------------------------------------------------------------------
def test_failed_attempt_is_retried_then_the_job_fails(env: FaultsEnv) -> None:
    # Given a job allowed 2 attempts whose command always fails
    name = unique("retried")
    job_id = env.submit(name, env.definition(["sh", "-c", "exit 1"], retryStrategy={"attempts": 2}))
    # When it runs to its end
    env.wait_terminal(job_id)
    # Then the recorder saw RUNNABLE for attempt 1 then attempt 2, then the final FAILED
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING"] * 2 + ["FAILED"]
    runnable = [e for e in env.events(job_id) if e["detail"]["status"] == "RUNNABLE"]
    assert [len(e["detail"]["eksAttempts"]) for e in runnable] == [0, 1]
    # And DescribeJobs has 2 attempts, in 2 different pods
    job = env.describe(job_id)
    assert job["status"] == "FAILED"
    assert len(job["eksAttempts"]) == 2
    assert job["eksAttempts"][0]["podName"] != job["eksAttempts"][1]["podName"]
    assert [a["containers"][0]["exitCode"] for a in job["eksAttempts"]] == [1, 1]


def test_evaluate_on_exit_exit_stops_after_one_attempt(env: FaultsEnv) -> None:
    # Given a job allowed 3 attempts, whose exit code 1 means EXIT, and whose command exits 1
    name = unique("exit-on-1")
    strategy = {"attempts": 3, "evaluateOnExit": [{"onExitCode": "1", "action": "EXIT"}]}
    job_id = env.submit(name, env.definition(["sh", "-c", "exit 1"], retryStrategy=strategy))
    # When it runs to its end
    env.wait_terminal(job_id)
    # Then it FAILED after one attempt only
    job = env.describe(job_id)
    assert job["status"] == "FAILED"
    assert len(job["eksAttempts"]) == 1
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING", "FAILED"]


def test_reclaimed_host_is_retried_then_the_job_succeeds(env: FaultsEnv) -> None:
    # Given a job whose first attempt's host is reclaimed, retried on "Host EC2*" and exiting on anything else
    name = unique("reclaimed")
    env.aws.faults.job(name, host_reclaimed_attempts=1)
    strategy = {
        "attempts": 2,
        "evaluateOnExit": [
            {"onStatusReason": "Host EC2*", "action": "RETRY"},
            {"onReason": "*", "action": "EXIT"},
        ],
    }
    job_id = env.submit(name, env.definition(ECHO, retryStrategy=strategy))
    # When it runs to its end
    env.wait_terminal(job_id)
    # Then the first attempt ended with the host's reason, and the second succeeded
    job = env.describe(job_id)
    assert job["status"] == "SUCCEEDED"
    assert len(job["eksAttempts"]) == 2
    assert job["eksAttempts"][0]["statusReason"].startswith("Host EC2")
    assert job["eksAttempts"][1]["containers"][0]["exitCode"] == 0
    assert env.statuses(job_id) == ["RUNNABLE", "STARTING", "RUNNING"] * 2 + ["SUCCEEDED"]


# -- array jobs ---------------------------------------------------------------------------------------------
def test_array_job_fails_after_all_children_end(env: FaultsEnv) -> None:
    # Given an array job of 3 whose child 1 fails
    name = unique("array")
    definition = env.definition(["sh", "-c", 'test "$AWS_BATCH_JOB_ARRAY_INDEX" != 1'])
    job_id = env.submit(name, definition, arrayProperties={"size": 3})
    # When it runs to its end
    env.wait_terminal(job_id)
    # Then its children <id>:0..2 exist, child 1 FAILED and the others SUCCEEDED
    children = [env.describe(f"{job_id}:{index}") for index in range(3)]
    assert [c["status"] for c in children] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    assert [c["arrayProperties"]["index"] for c in children] == [0, 1, 2]
    # And the parent FAILED only once every child had ended, and counts them
    parent = env.describe(job_id)
    assert parent["status"] == "FAILED"
    assert all(parent["stoppedAt"] >= child["stoppedAt"] for child in children)
    summary = parent["arrayProperties"]["statusSummary"]
    assert (summary["SUCCEEDED"], summary["FAILED"]) == (2, 1)
    assert sum(summary.values()) == parent["arrayProperties"]["size"] == 3
    # And the recorder got the parent's FAILED after every child's terminal event
    items = [json.loads(item["event"]) for item in env.items("RecorderFunction")]
    order = [(e["detail"].get("jobId"), e["detail"].get("status")) for e in items]
    parent_end = order.index((job_id, "FAILED"))
    for index, child in enumerate(children):
        assert order.index((f"{job_id}:{index}", child["status"])) < parent_end
    assert env.statuses(job_id)[-1] == "FAILED"


def test_submits_beyond_the_throttle_rate_are_refused_and_create_nothing(env: FaultsEnv) -> None:
    # Given SubmitJob limited to one call every five seconds, and a client that does not retry
    env.aws.faults.throttle_submit_rate(0.2)
    batch = boto3.client("batch", config=NO_RETRIES)
    definition = env.definition(ECHO)
    try:
        # When three jobs are submitted at once
        accepted, refused = [], []
        for _ in range(3):
            name = unique("rate")
            try:
                accepted.append(env.submit(name, definition, client=batch))
            except ClientError as error:
                refused.append((name, error.response["Error"]["Code"]))
        # Then the bucket's one call went through, the others were throttled and made no job
        assert len(accepted) == 1
        assert [code for _, code in refused] == ["TooManyRequestsException"] * 2
        assert all(env.list_by_name(name) == [] for name, _ in refused)
    finally:
        env.aws.faults.throttle_submit_rate(None)
    # And without the limit, submits go through again
    env.wait_terminal(env.submit(unique("unlimited"), definition, client=batch))


def test_array_children_can_run_without_a_process_each(env: FaultsEnv) -> None:
    # Given the data plane running array children without processes, and children 3 and 45 failing (each
    # child's statuses go through the recorders' Lambdas: 50 children keep that well inside the bound)
    plane = env.aws.batch
    timings = plane.timings
    plane.timings = replace(timings, array_child_seconds=0.001)
    name = unique("many")
    env.aws.faults.job(name, exit_code=5, array_indexes=frozenset({3, 45}))
    try:
        # When an array of 50 runs to its end
        job_id = env.submit(name, env.definition(ECHO), arrayProperties={"size": 50})
        env.wait_terminal(job_id)
    finally:
        plane.timings = timings
    # Then the parent FAILED with exactly those two children failed, each exiting with the fault's code
    parent = env.describe(job_id)
    assert parent["status"] == "FAILED"
    summary = parent["arrayProperties"]["statusSummary"]
    assert (summary["SUCCEEDED"], summary["FAILED"]) == (48, 2)
    child = env.describe(f"{job_id}:45")
    assert child["eksAttempts"][-1]["containers"][0]["exitCode"] == 5
    # And ListJobs by the array's id lists the failed children
    failed = boto3.client("batch").list_jobs(arrayJobId=job_id, jobStatus="FAILED")["jobSummaryList"]
    assert sorted(job["jobId"] for job in failed) == [f"{job_id}:3", f"{job_id}:45"]


# -- the rule's pattern -------------------------------------------------------------------------------------
def test_unmatched_recorder_heard_of_none_of_these_jobs(env: FaultsEnv) -> None:
    # Given a job of its own (and every job the tests above submitted) on the test- queue
    job_id = env.submit(unique("unmatched"), env.definition(ECHO))
    # When it has run to its end
    env.wait_terminal(job_id)
    # Then the recorder heard of each job, and the recorder whose rule matches unmatched- queues of none
    assert env.statuses(job_id) == HAPPY_PATH
    assert all(env.events(known) for known in env.job_ids)
    unmatched = env.items("UnmatchedRecorderFunction")
    assert unmatched == []
