"""The walkthrough's "Run the Hello World! job" part: the hello-world job on the on-demand and the Spot queue
at once, through the run-job state machine, as the control plane sees them.

Where the blueprint's reader polls ``aws batch describe-jobs``, then asks for ``eksAttempts[].podName`` and
searches CloudWatch by hand, the demo prints what the control plane recorded: each status as its "Batch
Job State Change" event reached the runs table (with the event's time), then the run's output: pod, node,
the log links, and the lines of the job's log stream.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.demo.console import say
from local.embedded_aws.server import EmbeddedAws

POLL_SECONDS = 0.2


@dataclass
class HelloWorldRun:
    label: str  # "on-demand" or "spot"
    execution_arn: str
    statuses: list[str] = field(default_factory=list)  # as recorded, in order
    description: dict[str, Any] | None = None  # DescribeExecution, once ended

    @property
    def run_id(self) -> str:
        return self.execution_arn.rsplit(":", 1)[-1]


def start_hello_world(
    aws: EmbeddedAws, state_machine_arn: str, environment: str, queues: dict[str, str]
) -> list[HelloWorldRun]:
    """Start one run per queue (``queues``: the provision output's ``jobQueues``, onDemand and spot)."""
    sfn = aws.client("stepfunctions")
    runs = []
    for label, kind in (("on-demand", "onDemand"), ("spot", "spot")):
        run_input = {
            "environment": environment,
            "jobQueue": queues[kind],
            "jobName": f"hello-world-{kind.lower()}",
        }
        arn = sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=f"hello-{label}-{uuid.uuid4().hex[:8]}",
            input=json.dumps(run_input),
        )["executionArn"]
        say(f"  started run-job ({label}): {json.dumps(run_input)}")
        runs.append(HelloWorldRun(label, arn))
    return runs


def follow_runs(
    aws: EmbeddedAws,
    runs_table: str,
    runs: list[HelloWorldRun],
    bound_seconds: float,
    when_all_running: Callable[[], None] = lambda: None,
) -> None:
    """Print each run's statuses as the control plane records them, until every run's execution ended;
    call ``when_all_running`` once, as soon as every run has recorded RUNNING (jobs are on their nodes)."""
    sfn, dynamodb = aws.client("stepfunctions"), aws.client("dynamodb")
    deadline = time.monotonic() + bound_seconds
    running_seen = False
    while any(run.description is None for run in runs) and time.monotonic() < deadline:
        for run in runs:
            item = dynamodb.get_item(
                TableName=runs_table, Key={"runId": {"S": run.run_id}}, ConsistentRead=True
            )
            timeline = item.get("Item", {}).get("timeline", {}).get("L", [])
            for entry in timeline[len(run.statuses) :]:
                fields = entry["M"]
                at = datetime.fromtimestamp(int(fields["at"]["N"]) / 1000).astimezone()
                status = fields["status"]["S"]
                via = "its event" if fields["source"]["S"] == "event" else "DescribeJobs"
                run.statuses.append(status)
                say(f"  [{run.label:<9}] {status:<9} (from {via}, attempt {fields['attempt']['N']})", at=at)
            if run.description is None:
                description = sfn.describe_execution(executionArn=run.execution_arn)
                if description["status"] != "RUNNING":
                    run.description = description
        if not running_seen and all("RUNNING" in run.statuses for run in runs):
            running_seen = True
            when_all_running()
        time.sleep(POLL_SECONDS)


def show_result(aws: EmbeddedAws, run: HelloWorldRun) -> bool:
    """Print the run's outcome: job, pod, node, log links and the job's log lines. Whether it succeeded."""
    execution = run.description
    if execution is None:
        say(f"[{run.label}] still running when the demo stopped waiting")
        return False
    say(f"[{run.label}] run-job execution {execution['status']}")
    if execution["status"] != "SUCCEEDED":
        say(f"[{run.label}] error {execution.get('error')}: {execution.get('cause')}")
        return False
    output = json.loads(execution["output"])
    say(f"[{run.label}] job {output['jobId']} {output['status']}, exit code {output['exitCode']}")
    say(
        f"[{run.label}] pod {output['podName']} on node {output['nodeName']}, namespace {output['namespace']}"
    )
    links = output["logLinks"]
    say(f"[{run.label}] log stream    {links['logStreamUrl']}")
    say(f"[{run.label}] log group     {links['logGroupUrl']}")
    say(f"[{run.label}] Logs Insights {links['insightsUrl']}")
    events = aws.client("logs").get_log_events(
        logGroupName=links["logGroup"], logStreamName=links["logStream"]
    )
    for event in events["events"]:
        say(f"[{run.label}] log: {json.loads(event['message'])['log']}")
    return True
