"""Status ordering: a stale or duplicated event never moves a run's record backwards, in any order."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_on_eks.models.job_status import JobStatus, is_newer

S = JobStatus
NON_TERMINAL = [S.RUNNABLE, S.STARTING, S.RUNNING]
State = tuple[JobStatus, int]


@pytest.mark.parametrize(
    ("new", "old", "newer"),
    [
        pytest.param((S.PENDING, 0), None, True, id="anything-beats-nothing"),
        pytest.param((S.RUNNABLE, 0), (S.PENDING, 0), True, id="forward-in-one-attempt"),
        pytest.param((S.RUNNING, 0), (S.STARTING, 0), True, id="running-after-starting"),
        pytest.param((S.RUNNING, 0), (S.SUBMITTED, 0), True, id="skipping-statuses-is-fine"),
        pytest.param((S.SUCCEEDED, 1), (S.RUNNING, 0), True, id="terminal-after-running"),
        pytest.param((S.FAILED, 0), (S.RUNNABLE, 0), True, id="cancelled-while-runnable"),
        pytest.param((S.RUNNABLE, 1), (S.RUNNING, 0), True, id="retry-back-to-runnable-is-newer"),
        pytest.param((S.RUNNING, 0), (S.RUNNABLE, 1), False, id="first-attempt-after-retry-is-stale"),
        pytest.param((S.STARTING, 0), (S.RUNNING, 0), False, id="backwards-in-one-attempt"),
        pytest.param((S.RUNNING, 0), (S.SUCCEEDED, 1), False, id="stale-running-after-succeeded"),
        pytest.param((S.RUNNABLE, 2), (S.FAILED, 1), False, id="terminal-is-never-replaced"),
        pytest.param((S.FAILED, 1), (S.SUCCEEDED, 1), False, id="terminal-never-replaced-by-terminal"),
        pytest.param((S.SUCCEEDED, 0), (S.RUNNABLE, 1), True, id="terminal-without-attempts-still-wins"),
        pytest.param((S.RUNNING, 0), (S.RUNNING, 0), False, id="duplicate-running"),
        pytest.param((S.SUCCEEDED, 1), (S.SUCCEEDED, 1), False, id="duplicate-terminal"),
    ],
)
def test_is_newer(new: State, old: State | None, newer: bool) -> None:
    # Given the recorded state (status, finished attempts) and an event's state
    old_status, old_attempts = old if old is not None else (None, 0)
    # When the event is compared with the record
    result = is_newer(new[0], new[1], old_status, old_attempts)
    # Then it is newer only if it moves the job forward
    assert result is newer


def test_ranks_follow_the_lifecycle() -> None:
    # Given the statuses in lifecycle order
    # When their ranks are read
    ranks = [s.rank for s in (S.SUBMITTED, S.PENDING, S.RUNNABLE, S.STARTING, S.RUNNING)]
    # Then they increase, and both terminal statuses rank above all others
    assert ranks == sorted(set(ranks))
    assert S.SUCCEEDED.rank == S.FAILED.rank > max(ranks)
    assert {s for s in S if s.is_terminal} == {S.SUCCEEDED, S.FAILED}


@st.composite
def lifecycles(draw: st.DrawFn) -> list[State]:
    """A valid sequence of events: an optional PENDING, one or more attempts, maybe a terminal status.

    An attempt reports RUNNABLE, STARTING, RUNNING (some may be dropped, an attempt may fail before it
    runs); the events of attempt k carry k finished attempts; the terminal status carries the attempts
    that finished (the last one may not have started, e.g. cancelled while RUNNABLE).
    """
    events: list[State] = []
    if draw(st.booleans()):
        events.append((S.PENDING, 0))
    attempts = draw(st.integers(min_value=1, max_value=4))
    for attempt in range(attempts):
        reported = draw(st.lists(st.sampled_from(NON_TERMINAL), min_size=1, max_size=3, unique=True))
        events.extend((status, attempt) for status in sorted(reported, key=lambda s: s.rank))
    if draw(st.booleans()):
        last_started = draw(st.booleans())
        events.append(
            (draw(st.sampled_from([S.SUCCEEDED, S.FAILED])), attempts if last_started else attempts - 1)
        )
    return events


def fold(events: list[State]) -> State | None:
    state: State | None = None
    for status, attempts in events:
        if state is None or is_newer(status, attempts, state[0], state[1]):
            state = (status, attempts)
    return state


@settings(max_examples=300, derandomize=True, deadline=None)
@given(data=st.data(), lifecycle=lifecycles())
def test_any_order_with_duplicates_ends_in_the_in_order_state(
    data: st.DataObject, lifecycle: list[State]
) -> None:
    # Given a valid lifecycle, delivered shuffled and with duplicates
    duplicates = data.draw(st.lists(st.sampled_from(lifecycle), max_size=len(lifecycle)))
    delivered = data.draw(st.permutations(lifecycle + duplicates))
    # When the events are folded with is_newer
    final = fold(delivered)
    # Then the record ends where the in-order delivery ends: the lifecycle's last event
    assert fold(lifecycle) == lifecycle[-1]
    assert final == lifecycle[-1]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(lifecycle=lifecycles())
def test_in_order_every_event_is_newer_than_the_previous(lifecycle: list[State]) -> None:
    # Given a valid lifecycle delivered in order
    # When each event is compared with the one before it
    # Then each one moves the job forward
    for (old_status, old_attempts), (new_status, new_attempts) in pairwise(lifecycle):
        assert is_newer(new_status, new_attempts, old_status, old_attempts)
