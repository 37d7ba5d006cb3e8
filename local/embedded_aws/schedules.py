"""EventBridge's scheduled rules, fired on their schedule in the embedded AWS, time-scaled.

A rule with a ``rate(...)`` schedule fires every period times ``scale`` (the time scale of the embedded AWS's
data plane, :class:`~local.dataplane.jobs.Timings`, in the benchmark; a small one in tests), from when the
schedules start; a ``cron(...)`` rule never fires on its own here (its ticks are explicit). Each tick hands
its rule's targets the "Scheduled Event" EventBridge sends (:meth:`EventBus.fire_schedule`), and fires two
named signals (:mod:`local.embedded_aws.signals`): ``tick:<rule name>`` as it starts and
``ticked:<rule name>`` once every function it invoked has returned.

A test that needs to know exactly which tick did something pauses the clock (:meth:`Schedules.paused`) and
ticks itself (:meth:`Schedules.tick`): the tick returns once its targets have run, no sleep involved.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.embedded_aws.event_bus import EventBus
from local.embedded_aws.signals import Signals

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
DELIVERY_BOUND_SECONDS = 300.0  # what a tick's targets may take before the clock moves on (a bound)


def rate_seconds(expression: str) -> int | None:
    """The period of a ``rate(N unit)`` schedule, in seconds; None for anything else (``cron(...)``)."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Schedules:
    def __init__(self, bus: EventBus, signals: Signals):
        self.bus = bus
        self.signals = signals
        self._clock: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._lock = threading.Lock()  # one tick of a rule at a time (the clock's or a test's)

    def _scheduled_rules(self) -> list[Any]:
        return [
            rule
            for rule in self.bus.rules()
            if getattr(rule, "scheduled_expression", None) and getattr(rule, "state", "ENABLED") == "ENABLED"
        ]

    def tick(self, rule_name: str) -> None:
        """One tick of the rule, now: returns once every function it invoked has returned."""
        with self._lock:
            self.signals.fire(f"tick:{rule_name}")
            self.bus.fire_schedule(rule_name).done.wait(DELIVERY_BOUND_SECONDS)
            self.signals.fire(f"ticked:{rule_name}")

    def start(self, scale: float) -> None:
        """Fire every rate schedule every period x ``scale`` seconds, on a clock of its own, until stop()."""
        if self._clock is not None:
            return
        self._stop.clear()
        self._running.set()
        self._clock = threading.Thread(
            target=self._run, args=(scale,), name="eventbridge-schedules", daemon=True
        )
        self._clock.start()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()
        if self._clock is not None:
            self._clock.join(DELIVERY_BOUND_SECONDS)
        self._clock = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No tick of the clock's within the block (one already under way has ended when the block starts)."""
        self._running.clear()
        with self._lock:
            pass
        try:
            yield
        finally:
            self._running.set()

    def _run(self, scale: float) -> None:
        next_tick: dict[str, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for rule in self._scheduled_rules():
                period = rate_seconds(rule.scheduled_expression)
                if period is None:
                    continue
                # like EventBridge's, a rate schedule's first tick comes one period after it is first seen
                due = next_tick.setdefault(rule.name, now + period * scale)
                if now >= due and self._running.is_set() and not self._stop.is_set():
                    next_tick[rule.name] = now + period * scale
                    self.tick(rule.name)
            self._stop.wait(0.01)
            self._running.wait()
