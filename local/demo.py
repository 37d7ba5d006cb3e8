"""``make demo``: the blueprint walkthrough's job, through the control plane, on the embedded AWS.

It deploys ``template.yaml`` into the embedded AWS, stands up the blueprint's environment directly (the
provisioning workflow will do that later), and starts the run-job state machine twice at once: the
hello-world job on the on-demand queue and on the Spot queue. Each status is printed as the control plane
records its "Batch Job State Change" event; then each run's pod, node, log links and the job's log lines
(``Hello World!``, printed by the job definition's own command, run confined by the emulator).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from local.blueprint import stand_up
from local.dataplane.jobs import Timings
from local.embedded_aws import REPO_ROOT, EmbeddedAws

RUN_BOUND_SECONDS = 180


def say(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {message}", flush=True)


def follow(aws: EmbeddedAws, runs_table: str, runs: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Print each run's statuses as they are recorded; return the executions once all have ended."""
    sfn, dynamodb = aws.client("stepfunctions"), aws.client("dynamodb")
    printed: dict[str, int] = dict.fromkeys(runs, 0)
    ended: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + RUN_BOUND_SECONDS
    while len(ended) < len(runs) and time.monotonic() < deadline:
        for label, arn in runs.items():
            run_id = arn.rsplit(":", 1)[-1]
            item = dynamodb.get_item(TableName=runs_table, Key={"runId": {"S": run_id}}, ConsistentRead=True)
            timeline = item.get("Item", {}).get("timeline", {}).get("L", [])
            for entry in timeline[printed[label] :]:
                fields = entry["M"]
                at = datetime.fromtimestamp(int(fields["at"]["N"]) / 1000, UTC)
                status, attempt = fields["status"]["S"], fields["attempt"]["N"]
                say(f"  [{label:<9}] {status:<9} (event time {at:%H:%M:%S}, attempt {attempt})")
            printed[label] = len(timeline)
            if label not in ended:
                description = sfn.describe_execution(executionArn=arn)
                if description["status"] != "RUNNING":
                    ended[label] = description
        time.sleep(0.2)
    return ended


def show(aws: EmbeddedAws, label: str, execution: dict[str, Any]) -> bool:
    say(f"[{label}] execution {execution['status']}")
    if execution["status"] != "SUCCEEDED":
        say(f"[{label}] error {execution.get('error')}: {execution.get('cause')}")
        return False
    output = json.loads(execution["output"])
    say(f"[{label}] job {output['jobId']} {output['status']} exit code {output['exitCode']}")
    say(f"[{label}] pod {output['podName']} on node {output['nodeName']} in namespace {output['namespace']}")
    links = output["logLinks"]
    say(f"[{label}] log stream   {links['logStreamUrl']}")
    say(f"[{label}] log group    {links['logGroupUrl']}")
    say(f"[{label}] Logs Insights {links['insightsUrl']}")
    events = aws.client("logs").get_log_events(
        logGroupName=links["logGroup"], logStreamName=links["logStream"]
    )
    for event in events["events"]:
        say(f"[{label}] log: {json.loads(event['message'])['log']}")
    return True


def run(keep: bool) -> int:
    with EmbeddedAws(timings=Timings(runnable=1.0, starting=2.0)) as aws:
        say(f"embedded AWS on {aws.endpoint}")
        aws.runtime.environment_overrides["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the functions' INFO logs
        stack = aws.deploy(REPO_ROOT / "template.yaml", "batch-on-eks")
        say(f"template.yaml deployed ({len(stack.resources)} resources)")
        environment = stand_up(aws, stack.outputs["EnvironmentsTableName"])
        say(
            f"environment {environment.name}: EKS cluster, namespace {environment.namespace}, "
            f"queues {', '.join(q.rsplit('/', 1)[-1] for q in environment.queues.values())}, "
            f"job definition {environment.name}-hello-world"
        )
        sfn = aws.client("stepfunctions")
        runs = {}
        for label, queue in (("on-demand", "JQ1_OD"), ("spot", "JQ1_SPOT")):
            run_input = {
                "environment": environment.name,
                "jobQueue": f"{environment.name}-{queue}",
                "jobName": "doeks_hello_example",
            }
            runs[label] = sfn.start_execution(
                stateMachineArn=stack.outputs["RunJobStateMachineArn"],
                name=f"hello-{label}-{uuid.uuid4().hex[:8]}",
                input=json.dumps(run_input),
            )["executionArn"]
            say(f"started run-job ({label}): {json.dumps(run_input)}")
        say("the hello-world command sleeps 30 s; statuses as the control plane records their events:")
        ended = follow(aws, stack.outputs["RunsTableName"], runs)
        ok = len(ended) == len(runs) and all(
            [show(aws, label, ended[label]) for label in runs if label in ended]
        )
        if keep:
            say(f"--keep: the embedded AWS stays up on {aws.endpoint}; Ctrl-C stops it")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                say("stopping")
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description="The blueprint's job on the embedded AWS.")
    parser.add_argument("--keep", action="store_true", help="leave the embedded AWS running until Ctrl-C")
    return run(parser.parse_args(argv).keep)


if __name__ == "__main__":
    sys.exit(main())
