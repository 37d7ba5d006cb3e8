"""What a run costs, in dollars, at AWS's list prices (``batch_on_eks.models.prices``), for jobs of a minute
to thirty days, in three designs: this control plane, the classic polling loop (Wait 30 s + DescribeJobs +
Choice), and Step Functions' own ``batch:submitJob.sync``.

This design's use per run is measured (the load section's runs: Lambda invocations and their seconds,
DynamoDB's write units, its read calls); none of it depends on the job's length but the reconciler's checks:
a run is due one heartbeat (the period, by default) after its last news, then checked at every tick until
the job ends. The polling loop's use follows its state machine (measured at a minute and an hour): 3 states,
1 Lambda invocation and 9 history events per poll. ``submitJob.sync`` is one Task state: the embedded AWS
cannot run it on an EKS queue (moto's integration adds containerOverrides, which EKS jobs refuse), so its
use comes from the definition and AWS's billing: Step Functions bills the state, not its polling of Batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from batch_on_eks.models import prices

LENGTHS = (("1 minute", 60), ("1 hour", 3600), ("1 day", 86400), ("30 days", 30 * 86400))
HISTORY_LIMIT = 25_000
POLL_SECONDS = 30
POLLING_STATES_PER_POLL, POLLING_FIXED_STATES = 3, 2  # Wait, Describe, Choice; Submit and the end
POLLING_EVENTS_PER_POLL, POLLING_FIXED_EVENTS = 9, 9
SYNC_STATES, SYNC_EVENTS = 1, 8
POLLER_MEMORY_GB = 128 / 1024


@dataclass(frozen=True)
class RunCost:
    """One run's use of each priced service, and what it comes to."""

    states: float
    history_events: float
    lambda_requests: float = 0.0
    lambda_gb_seconds: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    custom_events: float = 0.0
    reconciler_usd: float = 0.0  # this design: the run's checks by the scheduled reconciler
    fails: str | None = None  # why the design cannot see a job of this length through
    parts: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        parts = {
            "transitions": self.states * prices.STATE_TRANSITION.usd,
            "lambda": self.lambda_requests * prices.LAMBDA_REQUEST.usd
            + self.lambda_gb_seconds * prices.LAMBDA_GB_SECOND.usd,
            "dynamodb": self.write_units * prices.DYNAMODB_WRITE_UNIT.usd
            + self.read_units * prices.DYNAMODB_READ_UNIT.usd,
            "events": self.custom_events * prices.EVENTBRIDGE_CUSTOM_EVENT.usd,
            "reconciler": self.reconciler_usd,
        }
        object.__setattr__(self, "parts", parts)

    @property
    def usd(self) -> float:
        return sum(self.parts.values())


@dataclass(frozen=True)
class Measured:
    """This design's use per run, measured, and the reconciler's cost per check."""

    states: int
    history_events: int
    per_run: dict[str, float]  # requests, gb_seconds, write_units, read_units (Usage.per_run)
    check_usd: float  # one run checked once: its share of a tick's DescribeJobs and Lambda seconds
    period_seconds: int


def checks(length_seconds: int, period_seconds: int) -> int:
    """How often the reconciler checks a quiet job of this length: from one period after its last news
    (RUNNING) to its end, once a tick."""
    return max(0, math.ceil(length_seconds / period_seconds) - 1)


def this_design(length_seconds: int, measured: Measured) -> RunCost:
    return RunCost(
        states=measured.states,
        history_events=measured.history_events,
        lambda_requests=measured.per_run["requests"],
        lambda_gb_seconds=measured.per_run["gb_seconds"],
        write_units=measured.per_run["write_units"],
        read_units=measured.per_run["read_units"],
        custom_events=1,  # "Run Finished"
        reconciler_usd=checks(length_seconds, measured.period_seconds) * measured.check_usd,
    )


def polling(length_seconds: int, poller_seconds: float) -> RunCost:
    polls = math.ceil(length_seconds / POLL_SECONDS)
    events = POLLING_EVENTS_PER_POLL * polls + POLLING_FIXED_EVENTS
    fails = None
    if events > HISTORY_LIMIT:
        most = (HISTORY_LIMIT - POLLING_FIXED_EVENTS) // POLLING_EVENTS_PER_POLL * POLL_SECONDS
        fails = f"fails after {most / 3600:.0f} h: {HISTORY_LIMIT:,} history events"
    requests = polls + 1
    return RunCost(
        states=POLLING_STATES_PER_POLL * polls + POLLING_FIXED_STATES,
        history_events=events,
        lambda_requests=requests,
        lambda_gb_seconds=requests * poller_seconds * POLLER_MEMORY_GB,
        fails=fails,
    )


def submit_job_sync(length_seconds: int) -> RunCost:
    return RunCost(states=SYNC_STATES, history_events=SYNC_EVENTS)


def price_table() -> list[str]:
    """The prices used, with their date and source."""
    used = (
        prices.STATE_TRANSITION,
        prices.LAMBDA_REQUEST,
        prices.LAMBDA_GB_SECOND,
        prices.DYNAMODB_WRITE_UNIT,
        prices.DYNAMODB_READ_UNIT,
        prices.EVENTBRIDGE_CUSTOM_EVENT,
    )
    lines = [
        f"  prices: {prices.REGION}, list prices as of {prices.PRICES_AS_OF} (batch_on_eks/models/prices.py)"
    ]
    lines += [f"    ${price.usd:.10f} per {price.per:<20} {price.source}" for price in used]
    return lines
