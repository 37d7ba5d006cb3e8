"""``make bench``: what the event-driven run-job workflow costs, next to the classic polling design.

1. State transitions per run, from execution histories in the embedded AWS, for a job of 1 minute and one
   of 1 hour. Time is scaled down by ``--scale`` (default 1/30) so the hour takes two minutes: the job's
   duration, the run's heartbeat (300 s) and the baseline's poll interval (30 s) are all multiplied by it,
   so the ratios between them are those of the real thing. The baseline (``local/bench/``: SubmitJob,
   then Wait + DescribeJobs + Choice) runs on the same emulated jobs.
2. The time from the job's terminal event to the execution's end, median of ``--runs`` runs, both designs.
3. Each function's cold import time, as a ratio to a bare ``import boto3``: medians of 7 fresh processes
   each, of the layer as ``make build`` built it (its boto3 and botocore, its precompiled bytecode: Lambda
   cannot write ``__pycache__``) with the Lambda runtime's Python (``--python``, 3.12), and nothing else
   importable (``-S``: no site-packages, as the layer is all a function has besides the standard library).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from local.bench.blueprint import stand_up
from local.dataplane.jobs import EmulatedJob, Timings
from local.embedded_aws.server import REPO_ROOT, EmbeddedAws

HERE = Path(__file__).resolve().parent
FRESH_PROCESSES = 7


BUILT_LAYER = REPO_ROOT / ".aws-sam" / "build" / "CommonLayer" / "python"


def cold_imports(python: str, layer: Path = BUILT_LAYER) -> list[tuple[str, float, float]]:
    """(function, median import seconds, ratio to a bare ``import boto3``) for every function, imported by
    ``python`` from its folder (precompiled as the layer's) and the built ``layer``, the boto3 included."""
    if not (layer / "batch_on_eks").is_dir() or not (layer / "boto3").is_dir():
        raise SystemExit(f"no built layer with boto3 at {layer}: run `make build` first")

    def median_import(module: str, path: list[str]) -> float:
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        env = {"PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.defpath}
        times = [
            float(
                subprocess.run(
                    [python, "-S", "-c", code], env=env, check=True, capture_output=True, text=True
                ).stdout
            )
            for _ in range(FRESH_PROCESSES)
        ]
        return statistics.median(times)

    with tempfile.TemporaryDirectory() as scratch:
        functions = Path(scratch) / "functions"
        shutil.copytree(REPO_ROOT / "functions", functions)
        compileall.compile_dir(
            functions, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        bare = median_import("boto3", [str(layer)])
        rows = [("(bare import boto3)", bare, 1.0)]
        for folder in sorted(functions.iterdir()):
            if (folder / "app.py").exists():
                seconds = median_import("app", [str(folder), str(layer)])
                rows.append((folder.name, seconds, seconds / bare))
    return rows


class TerminalTimes:
    """When the emulator emitted each job's terminal event (wall clock)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, job: EmulatedJob, detail: dict[str, Any]) -> None:
        if detail["status"] in ("SUCCEEDED", "FAILED"):
            with self._lock:
                self.at.setdefault(detail["jobId"], time.time())


def wait_for(aws: EmbeddedAws, arns: list[str], bound: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + bound
    return {arn: aws.wait_for_execution(arn, max(1.0, deadline - time.monotonic())) for arn in arns}


def job_id_of(aws: EmbeddedAws, arn: str) -> str:
    for event in aws.execution_history(arn):
        details = event.get("taskSucceededEventDetails") or {}
        output = json.loads(details.get("output") or "{}")
        payload = output.get("Payload", output)
        if isinstance(payload, dict) and payload.get("jobId"):
            return str(payload["jobId"])
    raise RuntimeError(f"no job id in {arn}'s history")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make bench", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--scale", type=float, default=1 / 30, help="time scale (default 1/30)")
    parser.add_argument("--runs", type=int, default=7, help="runs for the latency medians (default 7)")
    parser.add_argument(
        "--python", default="python3.12", help="the Lambda runtime's Python, for the cold imports (3.12)"
    )
    args = parser.parse_args(argv)
    scale = args.scale

    print("cold import (median of 7 fresh processes; the built layer, boto3 included, as it ships):")
    for name, seconds, ratio in cold_imports(args.python):
        print(f"  {name:<22} {seconds * 1000:7.1f} ms  {ratio:4.2f}x")

    with EmbeddedAws(timings=Timings(runnable=max(0.05, 5 * scale), starting=max(0.05, 5 * scale))) as aws:
        aws.runtime.environment_overrides["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        stack = aws.deploy(REPO_ROOT / "template.yaml", "batch-on-eks")
        baseline = aws.deploy(HERE / "template.yaml", "bench-polling")
        environment = stand_up(aws, stack.outputs["EnvironmentsTableName"])
        terminal = TerminalTimes()
        aws.batch.observers.append(terminal)
        batch, sfn = aws.client("batch"), aws.client("stepfunctions")
        heartbeat = max(1, round(300 * scale))
        poll = max(1, round(30 * scale))

        def definition(seconds: float) -> str:
            name = f"bench-sleep-{uuid.uuid4().hex[:6]}"
            container = {
                "name": "application",
                "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
                "command": ["/bin/sh", "-c", f"sleep {seconds:.2f}"],
            }
            batch.register_job_definition(
                jobDefinitionName=name,
                type="container",
                eksProperties={"podProperties": {"containers": [container]}},
            )
            return name

        def event_driven(job_definition: str) -> str:
            run_input = {
                "environment": environment.name,
                "jobName": "bench",
                "jobDefinition": job_definition,
                "heartbeatSeconds": heartbeat,
            }
            return str(
                sfn.start_execution(
                    stateMachineArn=stack.outputs["RunJobStateMachineArn"],
                    name=f"bench-{uuid.uuid4().hex[:10]}",
                    input=json.dumps(run_input),
                )["executionArn"]
            )

        def polling(job_definition: str) -> str:
            request = {
                "jobName": "bench-poll",
                "jobQueue": environment.queues["onDemand"],
                "jobDefinition": job_definition,
            }
            return str(
                sfn.start_execution(
                    stateMachineArn=baseline.outputs["PollingStateMachineArn"],
                    name=f"poll-{uuid.uuid4().hex[:10]}",
                    input=json.dumps({"request": request, "pollSeconds": poll}),
                )["executionArn"]
            )

        durations = {"1 minute": 60 * scale, "1 hour": 3600 * scale}
        print(
            f"\nstate transitions per run (scale {scale:.4f}: heartbeat {heartbeat} s, poll every {poll} s):"
        )
        started = {}
        for label, seconds in durations.items():
            job_definition = definition(seconds)
            started[(label, "event-driven")] = event_driven(job_definition)
            started[(label, "polling")] = polling(job_definition)
        ended = wait_for(aws, list(started.values()), bound=3600 * scale * 1.5 + 60)
        for (label, design), arn in started.items():
            events = aws.execution_history(arn)
            entered = sum(1 for e in events if e["type"].endswith("StateEntered"))
            lambdas = sum(1 for e in events if e["type"] == "TaskScheduled")
            print(
                f"  {label:<9} {design:<13} {ended[arn]['status']:<10} {entered:4d} states entered, "
                f"{lambdas:4d} Lambda tasks, {len(events):5d} history events"
            )

        # The jobs' lengths are spread over one poll interval, so that the polling design's lag is not
        # flattered (or penalised) by jobs that all end at the same point of its cycle.
        print(f"\nterminal event -> execution end (median of {args.runs} runs, jobs of 0 to {poll} s):")
        quick = [definition(poll * (index + 0.5) / args.runs) for index in range(args.runs)]
        for design, start in (("event-driven", event_driven), ("polling", polling)):
            arns = [start(job_definition) for job_definition in quick]
            results = wait_for(aws, arns, bound=120)
            lags = [results[arn]["stopDate"].timestamp() - terminal.at[job_id_of(aws, arn)] for arn in arns]
            print(
                f"  {design:<13} {statistics.median(lags) * 1000:8.0f} ms  (min {min(lags) * 1000:.0f}, "
                f"max {max(lags) * 1000:.0f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
