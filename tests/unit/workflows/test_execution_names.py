"""Execution names of API requests: an Idempotency-Key names the same execution every time, for that caller
and operation only; every name is one Step Functions accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_on_eks.workflows.execution_names import IDEMPOTENCY_KEY_PATTERN, MAX_EXECUTION_NAME, RequestOrigin

# Step Functions: 1..80 characters; no whitespace, brackets, wildcards, special or control characters.
STEP_FUNCTIONS_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
ALICE = "arn:aws:iam::123456789012:user/alice"
keys = st.from_regex(IDEMPOTENCY_KEY_PATTERN, fullmatch=True)


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
