"""Faults the data plane emulator injects on request, for tests.

Faults are keyed by job name (``fnmatch`` patterns, so a test can target the job a state machine names).
Event faults act on the "Batch Job State Change" events of matching jobs; job faults change what the job
does; submit faults change how SubmitJob answers. Readiness faults (a compute environment, cluster, node
group or add-on that stays CREATING, goes INVALID or never becomes ready) live with the resources they
act on: :data:`local.embedded_aws.moto_gaps.readiness.READINESS`.

Signal names in holds may contain ``{jobId}``, filled in with the job's id (see
:mod:`local.embedded_aws.signals`).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from dataclasses import dataclass, field


@dataclass
class EventFault:
    drop: frozenset[str] = frozenset()  # statuses whose events are never delivered
    duplicate: frozenset[str] = frozenset()  # statuses whose events are delivered twice, same event id
    hold: dict[str, str] = field(default_factory=dict)  # status -> signal to wait for before delivering


@dataclass
class JobFault:
    exit_code: int | None = None  # the container "exits" with this code instead of running its command
    stuck_runnable: bool = False  # the job never leaves RUNNABLE (until terminated or cancelled)
    host_reclaimed_attempts: int = 0  # this many first attempts end as a reclaimed Spot host would end them
    array_indexes: frozenset[int] | None = None  # only these children of an array job (None: any job)


class SubmitRejected(Exception):
    """SubmitJob answers with an error (``code``) instead of a job id."""

    def __init__(self, code: str, message: str, status: int, job_created: bool):
        super().__init__(message)
        self.code = code
        self.status = status
        self.job_created = job_created


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[str, EventFault]] = []
        self._jobs: list[tuple[str, JobFault]] = []
        self._throttled_submits = 0
        self._submit_rate: float | None = None
        self._submit_tokens = 0.0
        self._submit_refilled = 0.0
        self._lost_submit_replies = 0
        self._held_submit_replies: list[tuple[str, str]] = []

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
            self._jobs.clear()
            self._throttled_submits = 0
            self._submit_rate = None
            self._lost_submit_replies = 0
            self._held_submit_replies.clear()

    # -- declaring faults ---------------------------------------------------------------------------------
    def events(
        self,
        job_name: str,
        *,
        drop: tuple[str, ...] = (),
        duplicate: tuple[str, ...] = (),
        reorder: bool = False,
        hold: dict[str, str] | None = None,
    ) -> None:
        """Event faults for jobs named like ``job_name``.

        ``reorder`` delivers RUNNING before STARTING (STARTING is held until RUNNING has been delivered).
        ``hold`` maps a status to the signal its event waits for.
        """
        holds = dict(hold or {})
        if reorder:
            holds["STARTING"] = "delivered:{jobId}:RUNNING"
        with self._lock:
            self._events.append(
                (job_name, EventFault(drop=frozenset(drop), duplicate=frozenset(duplicate), hold=holds))
            )

    def job(self, job_name: str, **fault: int | bool | frozenset[int] | None) -> None:
        """Job faults for jobs named like ``job_name`` (fields of :class:`JobFault`)."""
        with self._lock:
            self._jobs.append((job_name, JobFault(**fault)))  # type: ignore[arg-type]

    def throttle_submit(self, times: int) -> None:
        """The next ``times`` SubmitJob calls answer TooManyRequestsException and create nothing."""
        with self._lock:
            self._throttled_submits += times

    def throttle_submit_rate(self, per_second: float | None) -> None:
        """SubmitJob calls beyond ``per_second`` (a token bucket holding a second's worth, one at least)
        answer TooManyRequestsException and create nothing, as Batch throttles an account; None: no limit."""
        with self._lock:
            self._submit_rate = per_second
            self._submit_tokens = self._submit_capacity()
            self._submit_refilled = time.monotonic()

    def _submit_capacity(self) -> float:
        return max(1.0, self._submit_rate or 0.0)

    def lose_submit_reply(self, times: int = 1) -> None:
        """The next ``times`` SubmitJob calls create the job, then answer ServerException (a lost reply)."""
        with self._lock:
            self._lost_submit_replies += times

    def hold_submit_reply(self, job_name: str, until: str) -> None:
        """SubmitJob for a job named like ``job_name`` creates it but answers only once ``until`` fires."""
        with self._lock:
            self._held_submit_replies.append((job_name, until))

    # -- consulted by the emulator ------------------------------------------------------------------------
    def event_fault(self, job_name: str) -> EventFault:
        with self._lock:
            return next(
                (f for pattern, f in self._events if fnmatch.fnmatchcase(job_name, pattern)), EventFault()
            )

    def job_fault(self, job_name: str, array_index: int | None = None) -> JobFault:
        with self._lock:
            return next(
                (
                    f
                    for pattern, f in self._jobs
                    if fnmatch.fnmatchcase(job_name, pattern)
                    and (f.array_indexes is None or array_index in f.array_indexes)
                ),
                JobFault(),
            )

    def before_submit(self) -> None:
        """Raise the submit fault due now, if any, before anything is created."""
        with self._lock:
            throttled = self._throttled_submits > 0 or not self._submit_token()
            if self._throttled_submits:
                self._throttled_submits -= 1
            if throttled:
                raise SubmitRejected("TooManyRequestsException", "Too Many Requests", 429, job_created=False)

    def _submit_token(self) -> bool:
        """Take a token from the SubmitJob bucket (always granted without a rate); False when it is empty."""
        if self._submit_rate is None:
            return True
        now = time.monotonic()
        self._submit_tokens = min(
            self._submit_capacity(), self._submit_tokens + (now - self._submit_refilled) * self._submit_rate
        )
        self._submit_refilled = now
        if self._submit_tokens < 1:
            return False
        self._submit_tokens -= 1
        return True

    def after_submit(self, job_name: str) -> str | None:
        """After the job exists: raise a lost reply, or return the signal the reply must wait for."""
        with self._lock:
            if self._lost_submit_replies:
                self._lost_submit_replies -= 1
                raise SubmitRejected("ServerException", "Internal Server Error", 500, job_created=True)
            return next(
                (
                    until
                    for pattern, until in self._held_submit_replies
                    if fnmatch.fnmatchcase(job_name, pattern)
                ),
                None,
            )
