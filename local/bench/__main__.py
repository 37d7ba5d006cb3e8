"""``make bench``: what a run of the control plane costs, next to the classic polling design and Step
Functions' own ``batch:submitJob.sync``, on the embedded AWS.

1. Each function's cold import time, as a ratio to a bare ``import boto3``, of the layer ``make build`` built
   (its boto3 and botocore included) with the Lambda runtime's Python (``--python``, 3.12).
2. States and history per run for a job of 1 minute and one of 1 hour, this design and the polling baseline
   (``local/bench/``: SubmitJob, then Wait 30 s + DescribeJobs + Choice), time scaled by ``--scale`` (1/30:
   the hour takes two minutes; the jobs, the reconciler's 5-minute period and the 30 s poll alike).
3. The time from a job's terminal event to its execution's end, both designs.
4. Load: ``--runs`` runs at once through the REST API, then through StartExecution, then through
   StartExecution with SubmitJob throttled to ``--submit-rate`` a second: accepted per second, start to
   SubmitJob and terminal event to execution end, lost runs and duplicate submissions (both must be 0),
   Lambda invocations and DynamoDB write units per run.
5. States and history for jobs of 1, 10 and 100 reconciler periods at 1/300 (a period a second): the counts
   do not move, so the 1-hour, 1-day and 30-day rows follow; how often the reconciler checked each job.
6. Array jobs of ``--children`` children (10,000, Batch's largest), all succeeding, then 1% failing.
7. Cost per run in dollars for jobs of a minute to thirty days, three designs, at AWS's list prices; and the
   chart of states and dollars per run against the job's length (``--chart``, shown in the README).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from batch_on_eks.models import prices
from local.bench import costs
from local.bench.arrays import run_array
from local.bench.chart import write_chart
from local.bench.cold_imports import ROUNDS, cold_imports
from local.bench.load import percentiles, run_load
from local.bench.world import RECONCILER, BenchWorld, RunCounts
from local.dataplane.jobs import Timings
from local.embedded_aws.server import REPO_ROOT, EmbeddedAws

DESIGN_FUNCTIONS = {
    "ValidateRunFunction",
    "SubmitAndWaitFunction",
    "RecordJobEventFunction",
    "RunResultFunction",
}
DESIGN_FUNCTIONS |= {"RunEndedFunction"}
DEFAULT_CHART = REPO_ROOT / "docs" / "images" / "runs-by-job-length.svg"


def states_by_length(world: BenchWorld, lengths: dict[str, float]) -> dict[tuple[str, str], RunCounts]:
    """Both designs for each (scaled) job length, all at once: what each run's execution entered."""
    started: dict[tuple[str, str], str] = {}
    for label, seconds in lengths.items():
        job_definition = world.definition(seconds)
        started[(label, "this design")] = world.start(job_definition)
        started[(label, "polling")] = world.start_polling(job_definition)
    ended = world.wait(list(started.values()), bound=max(lengths.values()) * 1.5 + 120)
    return {key: world.counts(arn, ended[arn]["status"]) for key, arn in started.items()}


def print_counts(rows: dict[tuple[str, str], RunCounts]) -> None:
    for (label, design), counts in rows.items():
        print(
            f"  {label:<18} {design:<12} {counts.status:<10} {counts.states:5d} states entered, "
            f"{counts.lambda_tasks:4d} Lambda tasks, {counts.history_events:6d} history events"
        )


def latency(world: BenchWorld, runs: int) -> dict[str, list[float]]:
    """Terminal event -> execution end, per design, for jobs spread over one poll interval (so that the
    polling design's lag is not flattered, or penalised, by jobs that all end at one point of its cycle)."""
    quick = [world.definition(world.poll * (index + 0.5) / runs) for index in range(runs)]
    lags: dict[str, list[float]] = {}
    for design, start in (("this design", world.start), ("polling", world.start_polling)):
        arns = [start(job_definition) for job_definition in quick]
        ended = world.wait(arns, bound=120)
        lags[design] = [
            ended[arn]["stopDate"].timestamp() - world.terminal.at[world.job_id_of(arn)] for arn in arns
        ]
    return lags


def load_section(world: BenchWorld, args: argparse.Namespace) -> dict[str, float]:
    """Section 4; this design's use per run, from its StartExecution runs."""
    print(f"\n4. load: {args.runs} runs at once, jobs that end at once:")
    job_definition = world.definition(0, command="true")
    bound = 900.0
    loads = [run_load(world, args.runs, "api", job_definition, bound, "REST API")]
    loads.append(run_load(world, args.runs, "sfn", job_definition, bound, "StartExecution"))
    world.aws.faults.throttle_submit_rate(args.submit_rate)
    try:
        label = f"StartExecution, SubmitJob throttled to {args.submit_rate:g}/s"
        loads.append(run_load(world, args.runs, "sfn", job_definition, bound, label))
    finally:
        world.aws.faults.throttle_submit_rate(None)
    for figures in loads:
        per_run = figures.usage.per_run(figures.runs, set(figures.usage.invocations) - {RECONCILER})
        print(f"  {figures.label}:")
        print(
            f"    accepted {figures.accepted_per_second:6.1f} runs/s; lost {figures.lost}, "
            f"duplicate SubmitJobs {figures.duplicates}"
        )
        print(f"    start -> SubmitJob        {percentiles(figures.start_to_submit)}")
        print(f"    terminal event -> end     {percentiles(figures.terminal_to_end)}")
        print(
            f"    per run: {per_run['requests']:.1f} Lambda invocations, "
            f"{per_run['write_units']:.1f} DynamoDB write units, {per_run['read_units']:.1f} read calls"
        )
        invoked = {name: count / figures.runs for name, count in figures.usage.invocations.items() if count}
        print(
            "    invocations per run: "
            + ", ".join(f"{n.removesuffix('Function')} {c:.2f}" for n, c in sorted(invoked.items()))
        )
    return loads[1].usage.per_run(args.runs, DESIGN_FUNCTIONS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--python", default="python3.12", help="the Lambda runtime's Python, for the cold imports (3.12)"
    )
    parser.add_argument("--scale", type=float, default=1 / 30, help="time scale of sections 2 and 4 (1/30)")
    parser.add_argument("--latency-runs", type=int, default=7, help="runs per design for section 4 (7)")
    parser.add_argument("--runs", type=int, default=200, help="runs at once in the load section (200)")
    parser.add_argument(
        "--submit-rate", type=float, default=10.0, help="SubmitJob calls a second when throttled"
    )
    parser.add_argument("--children", type=int, default=10_000, help="children of the array runs (10,000)")
    parser.add_argument("--chart", type=Path, default=DEFAULT_CHART, help="where the chart is written")
    parser.add_argument("--quick", action="store_true", help="smaller everything, for a quick look")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help=f"interleaved rounds of section 1's imports ({ROUNDS})"
    )
    parser.add_argument(
        "--only", choices=["cold-imports"], help="run one section only (cold-imports: section 1)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.latency_runs, args.runs, args.children = 3, 40, 1000
    scale = args.scale

    print(
        f"1. cold import (CPU time; medians of {args.rounds} interleaved rounds of fresh processes, ratio to "
        "the same round's bare import, and of wall time; our code precompiled as the layer ships it):"
    )
    for name, seconds, ratio, wall_ratio in cold_imports(args.python, rounds=args.rounds):
        print(f"  {name:<24} {seconds * 1000:7.1f} ms  {ratio:4.2f}x  (wall {wall_ratio:4.2f}x)")
    if args.only == "cold-imports":
        return 0

    timings = Timings(runnable=max(0.02, 5 * scale), starting=max(0.02, 5 * scale))
    with EmbeddedAws(timings=timings, schedule_scale=scale) as aws:
        world = BenchWorld(aws, scale)
        hour = "10 minutes" if args.quick else "1 hour"
        lengths = {"1 minute": 60 * scale, hour: (600 if args.quick else 3600) * scale}
        print(
            f"\n2. per run (scale {scale:.4f}: reconciler every {world.period} s, "
            f"polling every {world.poll} s):"
        )
        measured = states_by_length(world, lengths)
        print_counts(measured)
        with world.usage() as polled:
            world.wait([world.start_polling(world.definition(0.1))], bound=60)
        poller_seconds = polled[0].seconds["PollerFunction"] / polled[0].invocations["PollerFunction"]

        print(
            f"\n3. terminal event -> execution end (median of {args.latency_runs} runs, "
            f"jobs of 0 to {world.poll} s):"
        )
        for design, lags in latency(world, args.latency_runs).items():
            print(
                f"  {design:<12} {statistics.median(lags) * 1000:8.0f} ms  (min {min(lags) * 1000:.0f}, "
                f"max {max(lags) * 1000:.0f})"
            )
        this_run = load_section(world, args)

    fine = 1 / 300
    fine_timings = Timings(runnable=0.02, starting=0.02, array_child_seconds=0.005)
    with EmbeddedAws(timings=fine_timings, schedule_scale=fine) as aws:
        world = BenchWorld(aws, fine)
        periods = (1, 10) if args.quick else (1, 10, 100)
        print(
            f"\n5. per run, jobs of 1 to {periods[-1]} reconciler periods (scale 1/300: a period a second):"
        )
        rows, checked = {}, {}
        started = {n: world.start(world.definition(n * world.period)) for n in periods}
        ended = world.wait(list(started.values()), bound=periods[-1] * world.period * 1.5 + 120)
        for n, arn in started.items():
            rows[(f"{n} period{'s' if n > 1 else ''}", "this design")] = world.counts(
                arn, ended[arn]["status"]
            )
            checked[n] = world.reconciler_checks(world.job_id_of(arn))
        print_counts(rows)
        print("  the reconciler checked the jobs " + ", ".join(f"{checked[n]}x ({n} p)" for n in periods))
        print("  the execution's counts do not depend on the job's length: 1 hour, 1 day and 30 days follow")

        tick_idle = world.reconciler_tick_seconds()
        quiet = [world.start(world.definition(600)) for _ in range(100)]
        world.wait_until_due(quiet, bound=120)
        tick_full = world.reconciler_tick_seconds(3)
        for arn in quiet:
            world.sfn.stop_execution(executionArn=arn)
        per_check = max(0.0, (tick_full - tick_idle) / 100)
        memory = aws.runtime.function(RECONCILER).memory_mb / 1024
        print(
            f"  the reconciler: {tick_idle * 1000:.0f} ms a tick with nothing due, "
            f"{per_check * 1000:.2f} ms more per run checked (100 due: one DescribeJobs call)"
        )

        print(f"\n6. array jobs of {args.children:,} children (no process each):")
        failing = frozenset(range(0, args.children, 100))
        for failures in (frozenset(), failing):
            array = run_array(world, args.children, failures, 1800)
            children = array.children
            print(
                f"  {array.size:,} children: {array.status} {array.error or ''} in {array.seconds:.0f} s; "
                f"counts {children.get('counts')}, failed {children.get('failedTotal')} "
                f"(first: {children.get('failedIndexes', [])[:8]}...), "
                f"{array.write_units_per_child:.2f} DynamoDB write units per child"
            )

    check_usd = per_check * memory * prices.LAMBDA_GB_SECOND.usd
    tick_usd = prices.LAMBDA_REQUEST.usd + tick_idle * memory * prices.LAMBDA_GB_SECOND.usd
    first = rows[("1 period", "this design")]
    measured_here = costs.Measured(first.states, first.history_events, this_run, check_usd, 300)
    print("\n7. cost per run (this design's use measured in section 4; the reconciler every 5 minutes):")
    print("\n".join(costs.price_table()))
    names = ("this control plane", "polling every 30 s", "batch:submitJob.sync")
    table = {
        label: (
            costs.this_design(seconds, measured_here),
            costs.polling(seconds, poller_seconds),
            costs.submit_job_sync(seconds),
        )
        for label, seconds in costs.LENGTHS
    }
    print(
        f"  {'job':<9} {'design':<22} {'states':>8} {'history':>8} {'transitions':>12} {'lambda':>11} "
        f"{'dynamodb':>11} {'reconciler':>11} {'total':>11}"
    )
    for label, row in table.items():
        for name, cost in zip(names, row, strict=True):
            parts = cost.parts
            print(
                f"  {label:<9} {name:<22} {cost.states:8.0f} {cost.history_events:8.0f} "
                f"${parts['transitions']:11.7f} ${parts['lambda']:10.7f} ${parts['dynamodb']:10.7f} "
                f"${parts['reconciler']:10.7f} ${cost.usd:10.7f}" + (f"  {cost.fails}" if cost.fails else "")
            )
    print(
        f"  and the reconciler's own cost, whatever the runs: ${tick_usd * 288:.5f} a day (288 ticks); the "
        "events Batch and Step Functions send are free, Run Finished is a custom event ($1 per million)"
    )
    lengths_s = [seconds for _, seconds in costs.LENGTHS]
    write_chart(
        args.chart,
        [label for label, _ in costs.LENGTHS],
        lengths_s,
        {
            name: [(row[i].states, row[i].fails is not None) for row in table.values()]
            for i, name in enumerate(names)
        },
        {
            name: [(row[i].usd, row[i].fails is not None) for row in table.values()]
            for i, name in enumerate(names)
        },
        f"make bench, list prices of {prices.PRICES_AS_OF}; a cross: the design fails at that length",
    )
    print(f"\n  chart: {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
