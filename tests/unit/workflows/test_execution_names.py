"""Execution names: an API request's Idempotency-Key names the same execution every time, for that caller
and operation only; an EventBridge event's id names the execution it starts; every name is one Step
Functions accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_on_eks.workflows.execution_names import (
    IDEMPOTENCY_KEY_PATTERN,
    MAX_EXECUTION_NAME,
    RequestOrigin,
    execution_name,
)

# Step Functions: 1..80 characters; no whitespace, brackets, wildcards, special or control characters.
STEP_FUNCTIONS_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
ALICE = "arn:aws:iam::123456789012:user/alice"
keys = st.from_regex(IDEMPOTENCY_KEY_PATTERN, fullmatch=True)


# -- executions started by API requests ----------------------------------------------------------------------
@given(key=keys)
def test_a_key_names_the_same_valid_execution_every_time(key: str) -> None:
    # Given a request with an idempotency key
    origin = RequestOrigin(ALICE, "POST /jobs", key)
    # When its execution is named twice
    first, second = origin.execution_name("run"), origin.execution_name("run")
    # Then the names are equal, and valid for Step Functions
    assert first == second
    assert STEP_FUNCTIONS_NAME.fullmatch(first)
    assert len(first) <= MAX_EXECUTION_NAME
    assert re.fullmatch(r"run-[0-9a-f]{64}", first)


@pytest.mark.parametrize(
    "other",
    [
        RequestOrigin("arn:aws:iam::123456789012:user/bob", "POST /jobs", "k"),
        RequestOrigin(ALICE, "POST /environments", "k"),
        RequestOrigin(ALICE, "POST /jobs", "k2"),
    ],
    ids=["another-caller", "another-operation", "another-key"],
)
def test_the_name_depends_on_caller_operation_and_key(other: RequestOrigin) -> None:
    # Given a request, and another that differs in caller, operation or key
    origin = RequestOrigin(ALICE, "POST /jobs", "k")
    # When both executions are named
    # Then the names differ
    assert origin.execution_name("run") != other.execution_name("run")


def test_without_a_key_every_request_gets_a_new_name() -> None:
    # Given a request without a key
    origin = RequestOrigin(ALICE, "POST /jobs")
    # When its execution is named twice
    names = {origin.execution_name("provision") for _ in range(3)}
    # Then each name is new and valid
    assert len(names) == 3
    assert all(STEP_FUNCTIONS_NAME.fullmatch(name) and name.startswith("provision-") for name in names)


@pytest.mark.parametrize("kind", ["", "Run", "run job", "a" * 16])
def test_an_execution_kind_is_a_short_lowercase_word(kind: str) -> None:
    with pytest.raises(ValueError, match="execution kind"):
        RequestOrigin(ALICE, "POST /jobs", "k").execution_name(kind)


# -- executions started by EventBridge -----------------------------------------------------------------------
def test_an_event_id_names_the_execution() -> None:
    # Given EventBridge's event ids (UUIDs)
    event_id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    # When an execution is named after one
    # Then the name is the id with the trigger's prefix, the same every time
    assert execution_name("event-", event_id) == f"event-{event_id}"
    assert execution_name("schedule-", event_id) == f"schedule-{event_id}"


@pytest.mark.parametrize("event_id", ["a" * 200, "id with spaces", "id:with/colons", "é"])
def test_an_id_unfit_for_a_name_is_hashed_into_a_valid_one(event_id: str) -> None:
    # When the id is long or has characters an execution name must not have
    name = execution_name("event-", event_id)
    # Then the name is still valid, at most 80 characters, and stable for that id
    assert len(name) <= 80
    assert name.startswith("event-")
    assert all(c.isalnum() or c in "-_" for c in name)
    assert name == execution_name("event-", event_id)
