"""Array jobs at Batch's largest size: the run's own count of its children, exact, and what each child costs
in DynamoDB writes. The data plane runs the children without a process each."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from local.bench.world import BenchWorld
from local.embedded_aws.moto_gaps.dynamodb_capacity import METER


@dataclass(frozen=True)
class ArrayFigures:
    size: int
    status: str
    error: str | None
    children: dict[str, Any]  # the run's arrayChildren
    seconds: float
    write_units_per_child: float


def run_array(world: BenchWorld, size: int, failing: frozenset[int], bound: float) -> ArrayFigures:
    """One array run of ``size`` children, those in ``failing`` exiting 1, to its end."""
    job_name = f"array-{uuid.uuid4().hex[:8]}"
    if failing:
        world.aws.faults.job(f"{job_name}_*", exit_code=1, array_indexes=failing)
    METER.on = True
    writes = METER.total()
    began = time.monotonic()
    try:
        arn = world.start(world.definition(0, command="true"), jobName=job_name, arraySize=size)
        ended = world.wait([arn], bound)[arn]
        assert world.aws.wait_idle(bound)
    finally:
        METER.on = False
    seconds = time.monotonic() - began
    outcome = json.loads(ended["output"] if ended["status"] == "SUCCEEDED" else ended["cause"])
    return ArrayFigures(
        size=size,
        status=ended["status"],
        error=ended.get("error"),
        children=outcome.get("arrayChildren", {}),
        seconds=seconds,
        write_units_per_child=(METER.total() - writes) / size,
    )
