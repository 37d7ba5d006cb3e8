"""The run-job workflow under Batch's delivery races and SubmitJob's faults.

Every case runs through the real ``run_job.asl.json`` and the real handlers in the embedded AWS; the races
are made certain by the emulator's hold-and-release (a held event or SubmitJob reply waits for a named
signal), never by sleeping. Timeouts are upper bounds only. The last test drives the job-events logic alone
against the deployed runs table, with many more random orders than the state machine can afford.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_on_eks.aws.job_records import job_key
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.models.job_state_change import BatchJobStateChangeEvent
from batch_on_eks.models.job_status import JobStatus, is_newer
from batch_on_eks.models.run import Run
from batch_on_eks.runs.job_events import record_job_event
from batch_on_eks.runs.submit import submit_and_wait
from batch_on_eks.runs.validate import unique_job_name, validate_run
from batch_on_eks.settings import Settings
from local.embedded_aws.server import EmbeddedAws
from tests.runs.run_job_support import RunJobWorld, run_job_world

BOUND = 60.0  # an upper bound on every wait, never a synchronisation
HAPPY_PATH = ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
# The states a successful run's execution enters, whatever happens while its job runs: it waits once.
SUCCEEDED_STATES = ["Validate", "SubmitAndWait", "Result", "Outcome", "JobSucceeded"]
LONG_HEARTBEAT = 30  # no check by the reconciler can happen within a test: only events tell the run anything
SHORT_HEARTBEAT = 1


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> RunJobWorld:
    return run_job_world(aws, reconciler=True)


@pytest.fixture(scope="module")
def echo(world: RunJobWorld) -> str:
    """A job definition whose container prints a line and exits 0 at once."""
    return world.job_definition("echo hi")


@pytest.fixture(scope="module")
def settings_(world: RunJobWorld) -> Settings:
    """What the template gives the functions, as the functions read it."""
    return Settings.from_environment(
        {
            "RESOURCE_PREFIX": "doeks",
            "RUNS_TABLE": world.stack.outputs["RunsTableName"],
            "ENVIRONMENTS_TABLE": world.stack.outputs["EnvironmentsTableName"],
            "FINISHED_RUN_RETENTION_DAYS": "90",
            "RECONCILE_PERIOD_MINUTES": "5",
            "AWS_REGION": world.aws.region,
        }
    )


# -- helpers -----------------------------------------------------------------------------------------------
def submitted(world: RunJobWorld, run: Started) -> str:
    """The run's job id, once SubmitJob has created the job."""
    assert world.aws.signals.wait(f"submitted:{unique_job_name(run.job_name, run.run_id)}", BOUND)
    (job,) = run.jobs()
    return str(job["jobId"])


class Started:
    """One run-job execution: its run id (the execution's name), its job name, its ARN."""

    def __init__(self, world: RunJobWorld, job_name: str, definition: str, **run_input: Any):
        self.world = world
        self.job_name = job_name
        self.run_id = unique("run")
        self.arn = world.start(
            {"jobName": job_name, "jobDefinition": definition, **run_input}, name=self.run_id
        )

    def wait(self) -> dict[str, Any]:
        return self.world.wait(self.arn, BOUND)

    def output(self) -> dict[str, Any]:
        description = self.wait()
        assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
        return dict(json.loads(description["output"]))

    def states(self) -> list[str]:
        return self.world.entered_states(self.arn)

    def submit_attempts(self) -> int:
        """TaskScheduled events of the SubmitAndWait step (one per Lambda invocation the state made)."""
        return sum(
            1
            for e in self.world.history(self.arn)
            if e["type"] == "TaskScheduled"
            and "SubmitAndWaitFunction" in e["taskScheduledEventDetails"]["parameters"]
        )

    def failed_submits(self) -> list[str]:
        return [
            e["taskFailedEventDetails"]["error"]
            for e in self.world.history(self.arn)
            if e["type"] == "TaskFailed"
            and e["taskFailedEventDetails"]["resource"] == "invoke.waitForTaskToken"
        ]

    def jobs(self) -> list[dict[str, Any]]:
        return self.world.jobs_named(f"{self.job_name}_")

    def stored(self, settings: Settings) -> Run:
        run = RunStore(settings.runs_table, settings.finished_run_ttl_seconds).get(self.run_id)
        assert run is not None
        return run


def statuses(timeline: list[dict[str, Any]]) -> list[str]:
    return [entry["status"] for entry in timeline]


# -- (c) duplicated and reordered events -------------------------------------------------------------------
def test_duplicated_and_reordered_events_are_recorded_once(
    world: RunJobWorld, echo: str, settings_: Settings
) -> None:
    # Given a job whose RUNNING and SUCCEEDED events come twice (same event id), RUNNING before STARTING
    job_name = unique("dup-reorder")
    world.aws.faults.events(f"{job_name}_*", duplicate=("RUNNING", "SUCCEEDED"), reorder=True)
    # When the run goes to its end
    run = Started(world, job_name, echo, heartbeatSeconds=LONG_HEARTBEAT)
    output = run.output()
    # Then it SUCCEEDED, and its timeline never shows a status twice
    assert output["status"] == "SUCCEEDED"
    assert len(statuses(output["timeline"])) == len(set(statuses(output["timeline"])))
    assert set(statuses(output["timeline"])) <= set(HAPPY_PATH)
    # And once every copy of every event has been handled, the run holds each status exactly once
    job_id = output["jobId"]
    for status in HAPPY_PATH:
        assert world.aws.signals.wait(f"delivered:{job_id}:{status}", BOUND), status
    stored = run.stored(settings_)
    assert sorted(e.status.value for e in stored.timeline) == sorted(HAPPY_PATH)
    assert {e.source for e in stored.timeline} == {"event"}
    assert stored.job_status is JobStatus.SUCCEEDED
    assert run.states() == SUCCEEDED_STATES
    assert len(run.jobs()) == 1


# -- (d) terminal event before SubmitJob answers -----------------------------------------------------------
def test_terminal_event_before_submit_returns_ends_the_run_without_the_reconciler(
    world: RunJobWorld, echo: str, settings_: Settings
) -> None:
    # Given SubmitJob's reply is held until the job's SUCCEEDED event has been handled
    job_name = unique("early-end")
    world.aws.faults.hold_submit_reply(f"{job_name}_*", until="delivered:{jobId}:SUCCEEDED")
    # When the run goes to its end (no check by the reconciler can happen in this test)
    run = Started(world, job_name, echo, heartbeatSeconds=LONG_HEARTBEAT)
    output = run.output()
    # Then it SUCCEEDED through the submit step itself, from the events alone
    assert output["status"] == "SUCCEEDED"
    assert run.states() == SUCCEEDED_STATES
    assert {entry["source"] for entry in output["timeline"]} == {"event"}
    # And the terminal event had indeed come before the run knew its job id (it was kept for the run)
    store = RunStore(settings_.runs_table, settings_.finished_run_ttl_seconds)
    kept = [detail.status.value for detail, _, _ in store.early_events(output["jobId"])]
    assert "SUCCEEDED" in kept
    assert sorted(statuses(output["timeline"])) == sorted(HAPPY_PATH)
    assert len(run.jobs()) == 1


# -- (e) the terminal event and the reconciler's check, at once ----------------------------------------------
def test_terminal_event_released_as_the_reconciler_checks_still_ends_the_run_once(
    world: RunJobWorld, settings_: Settings
) -> None:
    # Given a job that runs past its 1 s heartbeat, whose SUCCEEDED event is held until the reconciler is
    # invoked once the run is due: the event and the reconciler's DescribeJobs then race to end the run.
    # Signals stay fired once fired, so start this test from fresh ones.
    job_name = unique("check-race")
    with world.aws.schedules.paused():
        world.aws.signals.reset()
        world.aws.faults.events(f"{job_name}_*", hold={"SUCCEEDED": "invoke:ReconcileRunsFunction"})
        run = Started(world, job_name, world.job_definition("sleep 1.2"), heartbeatSeconds=SHORT_HEARTBEAT)
        job_id = submitted(world, run)
        assert world.aws.batch.done_event(job_id).wait(BOUND)
        # When the reconciler runs
        world.reconcile()
    # Then the run SUCCEEDED once (its execution waited once, its timeline shows the end once), and the
    # event was handled too
    output = run.output()
    assert output["status"] == "SUCCEEDED"
    assert run.states() == SUCCEEDED_STATES
    assert statuses(output["timeline"]) == HAPPY_PATH
    assert world.aws.signals.wait(f"delivered:{job_id}:SUCCEEDED", BOUND)
    assert run.stored(settings_).job_status is JobStatus.SUCCEEDED
    assert len(run.jobs()) == 1


def test_terminal_event_after_the_reconciler_ended_the_run_leaves_one_end_in_its_timeline(
    world: RunJobWorld, settings_: Settings
) -> None:
    # Given a job that runs past its 1 s heartbeat, whose SUCCEEDED event is held until the reconciler's tick
    # has returned: DescribeJobs tells the run its end first, the event (a different report of the same
    # status, as EventBridge may deliver it late) comes after. Signals stay fired once fired: fresh ones.
    job_name = unique("late-end")
    with world.aws.schedules.paused():
        world.aws.signals.reset()
        world.aws.faults.events(f"{job_name}_*", hold={"SUCCEEDED": f"ticked:{world.reconciler_rule}"})
        run = Started(world, job_name, world.job_definition("sleep 1.2"), heartbeatSeconds=SHORT_HEARTBEAT)
        job_id = submitted(world, run)
        assert world.aws.batch.done_event(job_id).wait(BOUND)
        # When the reconciler ends the run, and then the job's SUCCEEDED event is handled
        world.reconcile()
        output = run.output()
        assert world.aws.signals.wait(f"delivered:{job_id}:SUCCEEDED", BOUND)
    # Then the run SUCCEEDED on DescribeJobs' report, and its timeline holds each status once: the event
    # added no second end
    assert output["status"] == "SUCCEEDED"
    assert run.states() == SUCCEEDED_STATES
    stored = run.stored(settings_)
    assert stored.job_status is JobStatus.SUCCEEDED
    assert sorted(e.status.value for e in stored.timeline) == sorted(HAPPY_PATH)
    assert [e.source for e in stored.timeline if e.status.is_terminal] == ["describe"]


# -- (f) terminal event lost ---------------------------------------------------------------------------------
def test_lost_terminal_event_is_caught_by_the_reconcilers_first_tick_after_it(
    world: RunJobWorld, settings_: Settings
) -> None:
    # Given a job that runs past its run's 1 s heartbeat (so the run is due for a check when the job ends),
    # whose SUCCEEDED event is never delivered, and the reconciler's clock paused: no tick but the test's
    job_name = unique("lost-end")
    world.aws.faults.events(f"{job_name}_*", drop=("SUCCEEDED",))
    with world.aws.schedules.paused():
        run = Started(world, job_name, world.job_definition("sleep 1.2"), heartbeatSeconds=SHORT_HEARTBEAT)
        job_id = submitted(world, run)
        # When the job has ended and its terminal event was lost
        assert world.aws.signals.wait(f"dropped:{job_id}:SUCCEEDED", BOUND)
        # And the reconciler ticks once: one period later at most, one DescribeJobs call
        describes = sum(1 for c in world.aws.calls if c.action == "batch:DescribeJobs")
        world.reconcile()
        assert sum(1 for c in world.aws.calls if c.action == "batch:DescribeJobs") == describes + 1
        # Then that tick ended the run: it SUCCEEDED, having learnt the end from DescribeJobs
        output = run.output()
    assert output["status"] == "SUCCEEDED"
    assert run.states() == SUCCEEDED_STATES
    succeeded = [e for e in run.stored(settings_).timeline if e.status is JobStatus.SUCCEEDED]
    assert [e.source for e in succeeded] == ["describe"]
    assert output["exitCode"] == 0
    assert output["podName"]
    assert output["nodeName"]


# -- (h) SubmitJob throttled -------------------------------------------------------------------------------
def test_throttled_submit_is_retried_by_the_state_machine_with_one_job(world: RunJobWorld, echo: str) -> None:
    # Given every SubmitJob call of the first invocation is throttled (it makes one call: no SDK retries)
    job_name = unique("throttled")
    world.aws.faults.throttle_submit(1)
    # When the run goes to its end
    run = Started(world, job_name, echo, heartbeatSeconds=LONG_HEARTBEAT)
    output = run.output()
    # Then the state machine's Retry invoked the submit step twice, and exactly one job exists
    assert output["status"] == "SUCCEEDED"
    assert run.failed_submits() == ["SubmitThrottled"]
    assert run.submit_attempts() == 2
    assert [job["jobId"] for job in run.jobs()] == [output["jobId"]]


# -- (h2) SubmitJob's reply lost ----------------------------------------------------------------------------
def test_lost_submit_reply_finds_the_job_instead_of_making_another(world: RunJobWorld, echo: str) -> None:
    # Given SubmitJob creates the job, then answers ServerException
    job_name = unique("lost-reply")
    world.aws.faults.lose_submit_reply()
    # When the run goes to its end
    run = Started(world, job_name, echo, heartbeatSeconds=LONG_HEARTBEAT)
    output = run.output()
    # Then the retried submit step found the job by its name (ListJobs): exactly one job, and it is the run's
    assert output["status"] == "SUCCEEDED"
    assert run.failed_submits() == ["SubmitOutcomeUnknown"]
    assert run.submit_attempts() == 2
    assert [job["jobId"] for job in run.jobs()] == [output["jobId"]]


# -- random faults, through the state machine ---------------------------------------------------------------
LIFECYCLE = ("RUNNABLE", "STARTING", "RUNNING", "TERMINAL")


@st.composite
def fault_plans(draw: st.DrawFn) -> dict[str, Any]:
    drop = draw(st.sets(st.sampled_from(LIFECYCLE)))
    duplicate = draw(st.sets(st.sampled_from(LIFECYCLE)))
    # reorder holds STARTING until RUNNING is delivered: with RUNNING dropped it would only wait out its bound
    reorder = draw(st.booleans()) and "RUNNING" not in drop
    return {
        "drop": drop,
        "duplicate": duplicate,
        "reorder": reorder,
        "throttles": draw(st.integers(0, 1)),
        "lost_replies": draw(st.integers(0, 1)),
        "exit_code": draw(st.sampled_from([0, 3])),
    }


def _statuses(chosen: set[str], terminal: str) -> tuple[str, ...]:
    return tuple(sorted(terminal if s == "TERMINAL" else s for s in chosen))


@settings(
    deadline=None,
    derandomize=True,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=fault_plans())
def test_every_run_ends_rightly_under_random_faults(
    world: RunJobWorld, echo: str, plan: dict[str, Any]
) -> None:
    faults = world.aws.faults
    faults.reset()
    try:
        # Given a job with these event faults, submit faults and exit code
        job_name = unique("random")
        terminal = "SUCCEEDED" if plan["exit_code"] == 0 else "FAILED"
        faults.events(
            f"{job_name}_*",
            drop=_statuses(plan["drop"], terminal),
            duplicate=_statuses(plan["duplicate"], terminal),
            reorder=plan["reorder"],
        )
        if plan["exit_code"]:
            faults.job(f"{job_name}_*", exit_code=plan["exit_code"])
        faults.throttle_submit(plan["throttles"])
        faults.lose_submit_reply(plan["lost_replies"])
        # When the run goes to its end
        run = Started(world, job_name, echo, heartbeatSeconds=SHORT_HEARTBEAT)
        description = run.wait()
        # Then it ended with the job's outcome, well within its own deadline plus one heartbeat
        if plan["exit_code"] == 0:
            assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
            assert json.loads(description["output"])["status"] == "SUCCEEDED"
        else:
            assert description["status"] == "FAILED"
            assert description["error"] == "BatchJobFailed", description.get("cause")
            assert json.loads(description["cause"])["exitCode"] == plan["exit_code"]
        took = (description["stopDate"] - description["startDate"]).total_seconds()
        assert took < 20, f"the run took {took:.1f} s"
        # And it made exactly one job
        assert len(run.jobs()) == 1
    finally:
        faults.reset()


# -- random orders, against the job-events logic alone ------------------------------------------------------
@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[tuple[str, int]], list[int], int]:
    """A job's lifecycle (status, finished attempts), in Batch's order; the indices of the events delivered,
    in arrival order (a repeat is a duplicate, a missing index a drop); how many arrive before the run
    knows its job id."""
    attempts = draw(st.integers(1, 2))
    terminal = draw(st.sampled_from(["SUCCEEDED", "FAILED"]))
    lifecycle = [(s, done) for done in range(attempts) for s in ("RUNNABLE", "STARTING", "RUNNING")]
    lifecycle.append((terminal, attempts))
    order = draw(st.lists(st.integers(0, len(lifecycle) - 1), min_size=1, max_size=8))
    early = draw(st.integers(0, len(order)))
    return lifecycle, order, early


def _event(job_id: str, status: str, finished: int, index: int, queue_arn: str) -> BatchJobStateChangeEvent:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=index)
    attempt = {
        "containers": [{"name": "application", "exitCode": 1 if status != "SUCCEEDED" else 0}],
        "podName": f"pod-{index}",
        "nodeName": "ip-10-1-0-1.ec2.internal",
        "podNamespace": "doeks-aws-batch",
    }
    return BatchJobStateChangeEvent.from_dict(
        {
            "version": "0",
            "id": f"{job_id}-{index}",  # one id per event: its duplicates carry the same
            "detail-type": "Batch Job State Change",
            "source": "aws.batch",
            "account": "123456789012",
            "time": at.isoformat().replace("+00:00", "Z"),
            "region": "us-east-1",
            "resources": [f"arn:aws:batch:us-east-1:123456789012:job/{job_id}"],
            "detail": {
                "jobArn": f"arn:aws:batch:us-east-1:123456789012:job/{job_id}",
                "jobName": "logic",
                "jobId": job_id,
                "jobQueue": queue_arn,
                "status": status,
                "eksAttempts": [attempt] * finished,
                "unknownField": {"more": "fields may appear"},
            },
        }
    )


@settings(
    deadline=None,
    derandomize=True,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=deliveries())
def test_job_events_logic_folds_any_order_to_the_newest_status(
    world: RunJobWorld, settings_: Settings, echo: str, case: tuple[list[tuple[str, int]], list[int], int]
) -> None:
    lifecycle, order, early = case
    # Given a run recorded by the Validate step, and a job id it does not know yet
    run_id = unique("logic")
    validate_run(
        run_id, {"environment": world.environment, "jobName": "logic", "jobDefinition": echo}, settings_
    )
    store = RunStore(settings_.runs_table, settings_.finished_run_ttl_seconds)
    job_id = str(uuid.uuid4())
    try:
        _fold_case(world, settings_, store, run_id, job_id, lifecycle, order, early)
    finally:  # the table stays small: the emulated DynamoDB scans it for every query on an index
        items = store.table.query(IndexName="ByJobId", KeyConditionExpression=Key("jobId").eq(job_id))
        with store.table.batch_writer() as batch:
            for key in {run_id, job_key(job_id), *(item["runId"] for item in items["Items"])}:
                batch.delete_item(Key={"runId": key})


def _fold_case(
    world: RunJobWorld,
    settings_: Settings,
    store: RunStore,
    run_id: str,
    job_id: str,
    lifecycle: list[tuple[str, int]],
    order: list[int],
    early: int,
) -> None:
    queue_arn = world.batch.queue_arn
    events = [_event(job_id, s, done, i, queue_arn) for i, (s, done) in enumerate(lifecycle)]
    # When the first events arrive before the run knows its job id, the submit step then records it and
    # catches up, and the others arrive after
    for index in order[:early]:
        assert record_job_event(events[index], settings_) == "kept for the run"
    recorded = store.get(run_id)
    assert recorded is not None
    store.record_job(recorded, job_id, f"arn:aws:batch:us-east-1:123456789012:job/{job_id}", 0)
    submit_and_wait(run_id, f"not-a-live-token-{run_id}", settings_)  # a stale token: nothing to end
    for index in order[early:]:
        record_job_event(events[index], settings_)
    # Then the run holds what folding the arrivals in order gives, which is the newest status delivered
    run = store.get(run_id)
    assert run is not None
    fold: tuple[JobStatus | None, int] = (None, 0)
    for index in order:
        status, finished = JobStatus(lifecycle[index][0]), lifecycle[index][1]
        if is_newer(status, finished, *fold):
            fold = (status, finished)
    newest_status, newest_attempts = lifecycle[max(order)]
    assert (run.job_status, run.job_attempts) == fold == (JobStatus(newest_status), newest_attempts)
    assert run.last_detail is not None
    assert run.last_detail["status"] == newest_status
    assert run.is_finished == (max(order) == len(lifecycle) - 1)
    # And one timeline entry per distinct event: duplicates added nothing
    distinct = sorted(set(order))
    assert len(run.timeline) == len(distinct)
    assert sorted(e.status.value for e in run.timeline) == sorted(lifecycle[i][0] for i in distinct)
