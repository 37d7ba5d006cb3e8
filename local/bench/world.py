"""The control plane and the polling baseline deployed in one embedded AWS, the blueprint's environment stood
up beside them, and what the bench does with them: start runs of either design, read what they cost."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.bench.blueprint import BlueprintEnvironment, stand_up
from local.dataplane.jobs import EmulatedJob
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.moto_gaps.dynamodb_capacity import METER
from local.embedded_aws.server import REPO_ROOT, EmbeddedAws

HERE = Path(__file__).resolve().parent
RECONCILER = "ReconcileRunsFunction"
# The read calls a function makes to DynamoDB: a read of an item under 4 KB is one read unit at most.
_READS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:Scan"}


@dataclass(frozen=True)
class RunCounts:
    status: str
    states: int  # states entered: what Step Functions bills as state transitions
    lambda_tasks: int
    history_events: int


@dataclass(frozen=True)
class Usage:
    """What the runs of a window used, in all: invocations and seconds per function, DynamoDB's units."""

    invocations: dict[str, int]
    seconds: dict[str, float]
    memory_gb: dict[str, float]
    write_units: float
    read_calls: int

    def per_run(self, runs: int, functions: set[str]) -> dict[str, float]:
        mine = [name for name in self.invocations if name in functions]
        return {
            "requests": sum(self.invocations[name] for name in mine) / runs,
            "gb_seconds": sum(self.seconds[name] * self.memory_gb[name] for name in mine) / runs,
            "write_units": self.write_units / runs,
            "read_units": self.read_calls / runs,
        }


class TerminalTimes:
    """When the emulator emitted each job's terminal event (wall clock)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, job: EmulatedJob, detail: dict[str, Any]) -> None:
        if detail["status"] in ("SUCCEEDED", "FAILED"):
            with self._lock:
                self.at.setdefault(detail["jobId"], time.time())


class BenchWorld:
    def __init__(self, aws: EmbeddedAws, scale: float):
        self.aws = aws
        self.scale = scale
        aws.runtime.environment_overrides["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        self.stack: Stack = aws.deploy(REPO_ROOT / "template.yaml", "batch-on-eks")
        self.baseline: Stack = aws.deploy(HERE / "template.yaml", "bench-polling")
        self.environment: BlueprintEnvironment = stand_up(aws, self.stack.outputs["EnvironmentsTableName"])
        self.terminal = TerminalTimes()
        aws.batch.observers.append(self.terminal)
        self.batch, self.sfn = aws.client("batch"), aws.client("stepfunctions")
        # The stack's default period (300 s) and the baseline's poll (30 s), in the bench's time
        self.period = max(1, round(300 * scale))
        self.poll = max(1, round(30 * scale))

    # -- starting runs ---------------------------------------------------------------------------------------
    def definition(self, seconds: float, command: str | None = None) -> str:
        name = f"bench-{uuid.uuid4().hex[:8]}"
        container = {
            "name": "application",
            "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
            "command": ["/bin/sh", "-c", command or f"sleep {seconds:.3f}"],
        }
        self.batch.register_job_definition(
            jobDefinitionName=name,
            type="container",
            eksProperties={"podProperties": {"containers": [container]}},
        )
        return name

    def run_input(self, job_definition: str, **extra: Any) -> dict[str, Any]:
        return {
            "environment": self.environment.name,
            "jobName": "bench",
            "jobDefinition": job_definition,
            "heartbeatSeconds": self.period,
            **extra,
        }

    def start(self, job_definition: str, **extra: Any) -> str:
        """A run of this design, through StartExecution; its execution's ARN."""
        return str(
            self.sfn.start_execution(
                stateMachineArn=self.stack.outputs["RunJobStateMachineArn"],
                name=f"bench-{uuid.uuid4().hex[:12]}",
                input=json.dumps(self.run_input(job_definition, **extra)),
            )["executionArn"]
        )

    def start_polling(self, job_definition: str) -> str:
        request = {"jobName": "bench-poll", "jobQueue": self.environment.queues["onDemand"]}
        return str(
            self.sfn.start_execution(
                stateMachineArn=self.baseline.outputs["PollingStateMachineArn"],
                name=f"poll-{uuid.uuid4().hex[:10]}",
                input=json.dumps(
                    {"request": {**request, "jobDefinition": job_definition}, "pollSeconds": self.poll}
                ),
            )["executionArn"]
        )

    # -- reading them ----------------------------------------------------------------------------------------
    def wait(self, arns: list[str], bound: float) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + bound
        return {arn: self.aws.wait_for_execution(arn, max(1.0, deadline - time.monotonic())) for arn in arns}

    def counts(self, arn: str, status: str) -> RunCounts:
        events = self.aws.execution_history(arn)
        return RunCounts(
            status,
            sum(1 for e in events if e["type"].endswith("StateEntered")),
            sum(1 for e in events if e["type"] == "TaskScheduled"),
            len(events),
        )

    def job_id_of(self, arn: str) -> str:
        for event in self.aws.execution_history(arn):
            details = event.get("taskSucceededEventDetails") or {}
            output = json.loads(details.get("output") or "{}")
            payload = output.get("Payload", output)
            if isinstance(payload, dict) and payload.get("jobId"):
                return str(payload["jobId"])
        raise RuntimeError(f"no job id in {arn}'s history")

    def reconciler_checks(self, job_id: str) -> int:
        """How many of the reconciler's DescribeJobs calls asked about ``job_id``."""
        return sum(
            1
            for call in self.aws.calls
            if call.logical_id == RECONCILER
            and call.action == "batch:DescribeJobs"
            and job_id in call.params["jobs"]
        )

    @contextmanager
    def usage(self) -> Iterator[list[Usage]]:
        """What the block's runs used: the list it yields holds a :class:`Usage` once the block has ended."""
        runtime = self.aws.runtime
        invoked = {name: len(times) for name, times in runtime.durations.items()}
        spent = {name: sum(times) for name, times in runtime.durations.items()}
        writes, calls = METER.total(), len(self.aws.calls)
        found: list[Usage] = []
        yield found
        names = set(runtime.durations)
        found.append(
            Usage(
                invocations={n: len(runtime.durations[n]) - invoked.get(n, 0) for n in names},
                seconds={n: sum(runtime.durations[n]) - spent.get(n, 0.0) for n in names},
                memory_gb={n: runtime.function(n).memory_mb / 1024 for n in names},
                write_units=METER.total() - writes,
                read_calls=sum(1 for call in self.aws.calls[calls:] if call.action in _READS),
            )
        )

    def wait_until_due(self, arns: list[str], bound: float) -> None:
        """Until each run's job is RUNNING and a period has passed since: every one is due for a check."""
        table = self.aws.client("dynamodb")
        deadline = time.monotonic() + bound
        waiting = {arn.rsplit(":", 1)[-1] for arn in arns}
        while waiting and time.monotonic() < deadline:
            for run_id in list(waiting):
                item = table.get_item(
                    TableName=self.stack.outputs["RunsTableName"],
                    Key={"runId": {"S": run_id}},
                    ConsistentRead=True,
                ).get("Item", {})
                if item.get("jobStatus", {}).get("S") == "RUNNING":
                    waiting.discard(run_id)
            time.sleep(0.2)  # the bench's own pacing while the runs start
        time.sleep(self.period + 0.5)

    def reconciler_tick_seconds(self, ticks: int = 5) -> float:
        """The reconciler's duration per tick, median of ``ticks`` ticks the bench makes itself."""
        rule = self.stack.ref("ReconcileRunsFunctionEveryPeriod")
        before = len(self.aws.runtime.durations.get(RECONCILER, []))
        with self.aws.schedules.paused():
            for _ in range(ticks):
                self.aws.schedules.tick(rule)
        return statistics.median(self.aws.runtime.durations[RECONCILER][before:])
