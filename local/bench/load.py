"""Many runs at once: started through the REST API or StartExecution, with SubmitJob throttled or not; how
fast they are accepted, how long each takes to reach Batch and to end after its job, and that none is lost or
submitted twice."""

from __future__ import annotations

import json
import math
import statistics
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from batch_on_eks.runs.validate import unique_job_name
from local.bench.world import BenchWorld, Usage
from local.embedded_aws.api_bridge import ApiBridge
from local.embedded_aws.moto_gaps.dynamodb_capacity import METER

CLIENTS = 16  # requests in flight at once while the runs are started


@dataclass(frozen=True)
class LoadFigures:
    label: str
    runs: int
    accepted_per_second: float
    start_to_submit: list[float]  # seconds, per run
    terminal_to_end: list[float]  # seconds, per run
    lost: int  # runs that did not end SUCCEEDED
    duplicates: int  # SubmitJobs that made a second job for a run
    usage: Usage


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    median, most = statistics.median(ordered), ordered[-1]
    return f"p50 {median * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  max {most * 1000:6.0f} ms"


def _through_api(world: BenchWorld, bridge: ApiBridge, job_definition: str) -> tuple[str, str, float]:
    body = json.dumps(
        {"environment": world.environment.name, "jobName": "load", "jobDefinition": job_definition}
    )
    request = urllib.request.Request(  # noqa: S310 - http on 127.0.0.1 only
        f"{bridge.url}/jobs",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
    )
    asked = time.time()
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - http on 127.0.0.1 only
        accepted = json.loads(answer.read())
    return str(accepted["executionArn"]), str(accepted["id"]), asked


def _through_start_execution(world: BenchWorld, job_definition: str) -> tuple[str, str, float]:
    run_id = f"load-{uuid.uuid4().hex[:12]}"
    asked = time.time()
    arn = world.sfn.start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        name=run_id,
        input=json.dumps(world.run_input(job_definition, jobName="load")),
    )["executionArn"]
    return str(arn), run_id, asked


def run_load(
    world: BenchWorld, runs: int, through: str, job_definition: str, bound: float, label: str
) -> LoadFigures:
    """``runs`` runs started at once (``through`` "api" or "sfn"), each to its end."""
    METER.on = True
    try:
        with (
            world.usage() as used,
            ApiBridge(world.aws, world.stack) as bridge,
            ThreadPoolExecutor(CLIENTS) as pool,
        ):
            began = time.monotonic()
            start = (
                (lambda _: _through_api(world, bridge, job_definition))
                if through == "api"
                else (lambda _: _through_start_execution(world, job_definition))
            )
            started = list(pool.map(start, range(runs)))
            accepted_per_second = runs / (time.monotonic() - began)
            ended = world.wait([arn for arn, _, _ in started], bound)
            assert world.aws.wait_idle(bound)
    finally:
        METER.on = False
    jobs = Counter(job.name for job in list(world.aws.batch.jobs.values()) if job.array_index is None)
    to_submit, to_end, lost, duplicates = [], [], 0, 0
    for arn, run_id, asked in started:
        description = ended[arn]
        made = jobs[unique_job_name("load", run_id)]
        duplicates += max(0, made - 1)
        if description["status"] != "SUCCEEDED":
            lost += 1
            continue
        output: dict[str, Any] = json.loads(description["output"])
        job = world.aws.batch.jobs[output["jobId"]]
        to_submit.append(job.created_at / 1000 - asked)
        to_end.append(description["stopDate"].timestamp() - world.terminal.at[output["jobId"]])
    return LoadFigures(label, runs, accepted_per_second, to_submit, to_end, lost, duplicates, used[0])
