"""Operating the control plane, end to end in the embedded AWS: the metrics the functions emit (their EMF
lines, as CloudWatch would read them from the functions' stdout), the run id on every line about a run, and
a dashboard and alarms whose every metric is real.

One scenario, run once for the module: a run that succeeds, one whose job fails, one whose terminal event is
lost (the reconciler finds it), and a job event for a job the control plane never submitted."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from batch_on_eks import observability
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run
from local.embedded_aws.deploy.template import load_template
from local.embedded_aws.lambda_output import InvocationOutput
from local.embedded_aws.server import EmbeddedAws
from tests.conftest import REPO_ROOT
from tests.operations.dashboard import (
    alarm_metrics,
    dashboard_metrics,
    emitted_metrics,
    problems,
)
from tests.runs.run_job_support import RunJobWorld, run_job_world

BOUND = 30.0  # an upper bound on every wait, never a synchronisation
EVENTS = Path(__file__).resolve().parent.parent / "events"
NAMESPACE = load_template(REPO_ROOT / "template.yaml")["Globals"]["Function"]["Environment"]["Variables"][
    "POWERTOOLS_METRICS_NAMESPACE"
]


@dataclass
class Scenario:
    world: RunJobWorld
    runs: dict[str, str]  # what the run shows -> its run id (the execution's name)
    unknown_job_id: str

    def outputs(self) -> list[InvocationOutput]:
        return list(self.world.aws.runtime.outputs)

    def ended(self, run_id: str) -> InvocationOutput:
        """The RunEnded invocation that announced the run."""
        return next(
            o
            for o in self.outputs()
            if o.logical_id == "RunEndedFunction" and (o.event.get("detail") or {}).get("name") == run_id
        )

    def metrics_of(self, output: InvocationOutput) -> dict[str, tuple[float, dict[str, str]]]:
        """Metric name -> (value, dimensions) of one invocation's EMF lines."""
        found = {}
        for line in output.metric_lines():
            (directive,) = line["_aws"]["CloudWatchMetrics"]
            assert directive["Namespace"] == NAMESPACE
            dimensions = {name: line[name] for name in directive["Dimensions"][0]}
            for metric in directive["Metrics"]:
                value = line[metric["Name"]]
                (single,) = value if isinstance(value, list) else [value]  # EMF: a value or an array of them
                found[metric["Name"]] = (float(single), dimensions)
        return found

    def stored(self, run_id: str) -> Run:
        run = RunStore(self.world.stack.outputs["RunsTableName"], 86400).get(run_id)
        assert run is not None
        return run


def _start(world: RunJobWorld, job_name: str, definition: str, **extra: Any) -> tuple[str, str]:
    run_id = f"run-{uuid.uuid4().hex[:12]}"
    return run_id, world.start({"jobName": job_name, "jobDefinition": definition, **extra}, name=run_id)


def _wait_for_run_ended(world: RunJobWorld, runs: int) -> None:
    """RunEnded runs on the execution's status change event, after the execution's end: wait for each."""
    assert world.aws.signals.wait_count("invoked:RunEndedFunction", runs, BOUND)
    assert world.aws.runtime.wait_async_idle(BOUND)


@pytest.fixture(scope="module")
def scenario(aws: EmbeddedAws) -> Scenario:
    world = run_job_world(aws, reconciler=True)
    succeeds, succeeds_arn = _start(
        world, "ops-ok", world.job_definition("echo operated"), heartbeatSeconds=30
    )
    fails, fails_arn = _start(world, "ops-fails", world.job_definition("exit 3"), heartbeatSeconds=30)
    # A run whose SUCCEEDED event is lost, with the reconciler's clock paused: only the test's tick finds it.
    lost_definition = world.job_definition("sleep 1.2")
    with world.aws.schedules.paused():
        aws.faults.events("ops-lost_*", drop=("SUCCEEDED",))
        lost, lost_arn = _start(world, "ops-lost", lost_definition, heartbeatSeconds=1)
        for arn in (succeeds_arn, fails_arn):
            world.wait(arn, BOUND)
        job_id = _job_id(world, lost)
        assert world.aws.signals.wait(f"dropped:{job_id}:SUCCEEDED", BOUND)
        world.reconcile()
        world.wait(lost_arn, BOUND)
    aws.faults.reset()
    # A Batch event for a job no run submitted, as EventBridge hands it to the function.
    event = json.loads((EVENTS / "batch_job_state_change_eks_minimal.json").read_text())
    unknown_job_id = str(uuid.uuid4())
    event["detail"]["jobId"] = unknown_job_id
    function = world.stack.ref("RecordJobEventFunction")
    boto3.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
    _wait_for_run_ended(world, 3)
    return Scenario(world, {"succeeds": succeeds, "fails": fails, "lost": lost}, unknown_job_id)


def _job_id(world: RunJobWorld, run_id: str) -> str:
    store = RunStore(world.stack.outputs["RunsTableName"], 86400)
    for _ in range(int(BOUND * 10)):
        run = store.get(run_id)
        if run is not None and run.job_id:
            return run.job_id
        world.aws.signals.wait("never", 0.1)
    raise AssertionError(f"{run_id} never recorded its job")


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _first(run: Run, status: JobStatus) -> int:
    return min(entry.at for entry in run.timeline if entry.status is status)


@pytest.mark.parametrize(("which", "outcome"), [("succeeds", "RunsSucceeded"), ("fails", "RunsFailed")])
def test_each_runs_outcome_and_durations_equal_its_timeline(
    scenario: Scenario, which: str, outcome: str
) -> None:
    # Given a run that has ended, its timeline as the runs table keeps it and its execution's dates
    run_id = scenario.runs[which]
    run = scenario.stored(run_id)
    execution = boto3.client("stepfunctions").describe_execution(
        executionArn=scenario.world.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{run_id}"
    )
    # When the EMF lines of the function that announced its end are read
    metrics = scenario.metrics_of(scenario.ended(run_id))
    # Then they give its outcome once, dimensioned by environment and queue (and the error), never by run
    queue = run.queue_arn.rsplit("/", 1)[-1]
    value, dimensions = metrics[outcome]
    assert value == 1
    assert {k: v for k, v in dimensions.items() if k != "error"} == {
        "environment": run.environment,
        "queue": queue,
        "service": "batch-on-eks",
    }
    assert dimensions.get("error") == (None if which == "succeeds" else "BatchJobFailed")
    assert not any(run_id in json.dumps(line) for line in scenario.ended(run_id).metric_lines())
    # And each duration equals the one computed from the timeline's timestamps
    runnable = _first(run, JobStatus.RUNNABLE)
    after_runnable = min(
        e.at for e in run.timeline if e.at >= runnable and e.status.rank > JobStatus.RUNNABLE.rank
    )
    terminal = max(e.at for e in run.timeline if e.status.is_terminal)
    submitted = run.submit_claimed_at  # the claim of the submission, just before SubmitJob
    assert submitted is not None
    expected = {
        "RunnableSeconds": (after_runnable - runnable) / 1000,
        "SubmitToRunningSeconds": (_first(run, JobStatus.RUNNING) - submitted) / 1000,
        "EventToEndSeconds": (_ms(execution["stopDate"]) - terminal) / 1000,
        "RunSeconds": (_ms(execution["stopDate"]) - _ms(execution["startDate"])) / 1000,
    }
    assert {name: metrics[name][0] for name in expected} == pytest.approx(expected, abs=0.002)


def test_a_lost_event_found_by_the_reconciler_is_counted(scenario: Scenario) -> None:
    # Given the run whose SUCCEEDED event was lost, and the reconciler's tick that found its end
    run_id = scenario.runs["lost"]
    assert [e.source for e in scenario.stored(run_id).timeline if e.status is JobStatus.SUCCEEDED] == [
        "describe"
    ]
    ticks = [o for o in scenario.outputs() if o.logical_id == "ReconcileRunsFunction"]
    # Then every tick counted what it found, and one counted the change that no event had brought
    found = [scenario.metrics_of(o)["ReconcileFoundLostEvents"][0] for o in ticks]
    assert len(found) == len(ticks)
    assert sum(found) >= 1


def test_an_event_for_an_unknown_job_is_counted(scenario: Scenario) -> None:
    # Given the Batch event for a job no run submitted
    (output,) = [
        o
        for o in scenario.outputs()
        if o.logical_id == "RecordJobEventFunction" and o.event["detail"]["jobId"] == scenario.unknown_job_id
    ]
    # Then its invocation counted it
    assert scenario.metrics_of(output)["JobEventsForUnknownJobs"][0] == 1


def test_every_line_about_a_run_carries_its_run_id_and_job_id(scenario: Scenario) -> None:
    # Given every invocation whose event names the succeeded run or its job
    run_id = scenario.runs["succeeds"]
    job_id = scenario.stored(run_id).job_id
    assert job_id is not None
    about = [o for o in scenario.outputs() if run_id in json.dumps(o.event) or job_id in json.dumps(o.event)]
    lines = [(o.logical_id, line) for o in about for line in o.log_lines()]
    # Then every log line they printed carries the run id as a key of its own, and the job id once known
    assert {function for function, _ in lines} >= {
        "SubmitAndWaitFunction",
        "RecordJobEventFunction",
        "RunEndedFunction",
    }
    assert [(f, line.get("run_id")) for f, line in lines] == [(f, run_id) for f, _ in lines]
    assert [(f, line.get("job_id")) for f, line in lines] == [(f, job_id) for f, _ in lines]


def _deployed_dashboard(scenario: Scenario) -> dict[str, Any]:
    name = scenario.world.stack.ref("Dashboard")
    return dict(json.loads(boto3.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"]))


def test_every_dashboard_and_alarm_metric_is_emitted_or_documented(scenario: Scenario) -> None:
    # Given the metrics the functions emitted in the scenario, the dashboard and the alarms as deployed
    emitted = emitted_metrics(scenario.world.aws.runtime.metric_lines())
    references = dashboard_metrics(_deployed_dashboard(scenario))
    for alarm in boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]:
        references += alarm_metrics(alarm["AlarmName"], alarm)
    # Then each custom metric is one the code emits, each AWS metric one AWS documents
    assert problems(references, NAMESPACE, emitted) == []
    assert {ref.namespace for ref in references} >= {
        NAMESPACE,
        "AWS/States",
        "AWS/Lambda",
        "AWS/SQS",
        "AWS/ApiGateway",
    }


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        (["BatchOnEks", "RunsLostForever"], "is not a metric the functions emit"),
        (["BatchOnEks", "RunsSucceeded", "run_id", "r-1"], "never emitted with dimensions"),
        (["AWS/Lambda", "ColdStarts", "FunctionName", "f"], "is not documented"),
        (["AWS/Lambda", "Errors", "Function", "f"], "has no dimension Function"),
    ],
    ids=["custom not emitted", "custom by run id", "AWS not documented", "AWS wrong dimension"],
)
def test_the_dashboard_check_fails_on_a_widget_for_a_metric_that_is_not_real(
    scenario: Scenario, metric: list[str], reason: str
) -> None:
    # Given the deployed dashboard with one widget added on purpose, for a metric that is not real
    body = _deployed_dashboard(scenario)
    body["widgets"].append(
        {"type": "metric", "properties": {"title": "on purpose", "region": "us-east-1", "metrics": [metric]}}
    )
    emitted = emitted_metrics(scenario.world.aws.runtime.metric_lines())
    # When it is checked, Then the check names that widget and why
    found = problems(dashboard_metrics(body), NAMESPACE, emitted)
    assert len(found) == 1
    assert found[0].startswith("on purpose: ")
    assert reason in found[0]


def test_every_alarm_notifies_the_alarm_topic(scenario: Scenario) -> None:
    # Given the alarms as deployed, and the stack's alarm topic
    topic = scenario.world.stack.outputs["AlarmTopicArn"]
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    # Then every alarm has the topic as its action and says what to do first
    assert alarms
    assert [(a["AlarmName"], a["AlarmActions"]) for a in alarms] == [
        (a["AlarmName"], [topic]) for a in alarms
    ]
    assert all("First:" in a["AlarmDescription"] for a in alarms)
    # And with no AlarmEmail, the stack says that nobody is notified yet, and how to subscribe
    notifications = scenario.world.stack.outputs["AlarmNotifications"]
    assert "notify nobody yet" in notifications
    assert "aws sns subscribe" in notifications
    assert topic in notifications


def test_the_namespace_outside_lambda_is_the_templates() -> None:
    # Given the namespace a domain function uses when it runs outside Lambda (no POWERTOOLS_METRICS_NAMESPACE)
    # Then it is the template's, so a script's or a test's metrics land where the dashboard looks
    assert observability.DEFAULT_NAMESPACE == NAMESPACE
