"""Page tokens: a listing's DynamoDB key goes out opaque and comes back checked; anything the listing did not
hand out is InvalidInput on nextToken, never something DynamoDB sees."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_on_eks.aws import page_tokens
from batch_on_eks.errors import InvalidInput

RULES = {
    "runId": lambda _value: True,
    "environment": lambda value: value == "doeks-a",
    "statusCreatedAt": lambda value: value.startswith("RUNNING#"),
}


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@given(run_id=st.text(min_size=1, max_size=80), created=st.integers(min_value=0, max_value=10**13))
def test_a_key_goes_round_trip(run_id: str, created: int) -> None:
    # Given a key the listing's query ended on
    key = {"runId": run_id, "environment": "doeks-a", "statusCreatedAt": f"RUNNING#{created:013d}"}
    # When it is handed out as a token and comes back
    token = page_tokens.encode(key)
    assert token is not None
    # Then it is URL-safe, and decodes to the same key
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert page_tokens.decode(token, RULES) == key


def test_no_key_is_no_token() -> None:
    assert page_tokens.encode(None) is None
    assert page_tokens.decode(None, RULES) is None


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        _b64(["runId"]),
        _b64({"runId": "r", "environment": "doeks-a"}),
        _b64({"runId": "r", "environment": "doeks-b", "statusCreatedAt": "RUNNING#1"}),
        _b64({"runId": "r", "environment": "doeks-a", "statusCreatedAt": "FAILED#1"}),
        _b64({"runId": 5, "environment": "doeks-a", "statusCreatedAt": "RUNNING#1"}),
        _b64({"runId": "", "environment": "doeks-a", "statusCreatedAt": "RUNNING#1"}),
        "A" * (page_tokens.MAX_TOKEN_LENGTH + 1),
        "é",
    ],
    ids=[
        "not-base64",
        "not-an-object",
        "missing-attribute",
        "another-environment",
        "another-status",
        "not-a-string",
        "empty",
        "too-long",
        "non-ascii",
    ],
)
def test_a_token_the_listing_did_not_hand_out_is_invalid_input(token: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        page_tokens.decode(token, RULES)
    assert refused.value.problems[0]["field"] == "nextToken"
