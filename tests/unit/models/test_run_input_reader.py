"""The workflows' pydantic-free reader of the run-job input agrees with the API's model of it
(``RunJobInput``): the same fields in the same order, and for any input, valid or not, the same values or
the same problems (field, rule, order)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.json_model import to_camel
from batch_on_eks.models.run_input import RunJobInput
from batch_on_eks.models.run_input_reader import PATTERNS, RUN_ID_TAG, RunInput, read_run_input

FIELDS = [field.name for field in dataclasses.fields(RunInput)]
NOT_JSON = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4))


def strings(name: str) -> st.SearchStrategy[Any]:
    """Mostly values the field's pattern allows (so that inputs are often valid), then anything."""
    pattern = st.from_regex(PATTERNS[name][0], fullmatch=True) if name in PATTERNS else st.text(max_size=8)
    return st.one_of(pattern, pattern, st.text(max_size=12), NOT_JSON)


def integers(low: int, high: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(low - 2, high + 2), st.integers(), NOT_JSON, st.lists(st.integers(), max_size=1)
    )


def string_lists() -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(st.text(max_size=4), max_size=3), st.lists(NOT_JSON, max_size=3), NOT_JSON)


def string_dicts(keys: st.SearchStrategy[str], size: int) -> st.SearchStrategy[Any]:
    values = st.one_of(st.text(max_size=4), st.text(min_size=255, max_size=258))
    return st.one_of(
        st.dictionaries(keys, values, max_size=size),
        st.dictionaries(keys, st.one_of(values, NOT_JSON), max_size=3),
        NOT_JSON,
        st.lists(st.text(max_size=2), max_size=2),
    )


ENV_NAMES = st.one_of(st.from_regex(r"[-._a-zA-Z][-._a-zA-Z0-9]{0,6}", fullmatch=True), st.text(max_size=6))
TAG_KEYS = st.one_of(
    st.text(max_size=6), st.sampled_from(["", "aws:owner", "AWS:x", RUN_ID_TAG, "k" * 128, "k" * 129])
)
VALUES = {
    "job_queue": strings("job_queue"),
    "environment": strings("environment"),
    "job_definition": strings("job_definition"),
    "job_name": strings("job_name"),
    "command": string_lists(),
    "args": string_lists(),
    "env": string_dicts(ENV_NAMES | st.sampled_from(["AWS_BATCH_JOB_ID"]), 3),
    "container_name": strings("container_name"),
    "array_size": integers(2, 10_000),
    "retry_attempts": integers(1, 10),
    "timeout_seconds": integers(60, 100),
    "tags": string_dicts(TAG_KEYS, 52),
    "runnable_timeout_seconds": integers(1, 7 * 86400),
    "heartbeat_seconds": integers(1, 3600),
}
VALID = {
    **{name: st.from_regex(pattern, fullmatch=True) for name, (pattern, _rule) in PATTERNS.items()},
    "command": st.lists(st.text(max_size=4), max_size=3),
    "args": st.lists(st.text(max_size=4), max_size=3),
    "env": st.dictionaries(
        st.from_regex(r"[-._a-zA-Z][-._a-zA-Z0-9]{0,6}", fullmatch=True).filter(
            lambda name: not name.startswith("AWS_BATCH")
        ),
        st.text(max_size=4),
        max_size=3,
    ),
    "array_size": st.integers(2, 10_000),
    "retry_attempts": st.integers(1, 10),
    "timeout_seconds": st.integers(60, 10**6),
    "tags": st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda key: not key.lower().startswith("aws:")),
        st.text(max_size=8),
        max_size=4,
    ),
    "runnable_timeout_seconds": st.integers(1, 7 * 86400),
    "heartbeat_seconds": st.integers(1, 3600),
}
KNOWN = {to_camel(name) for name in FIELDS} | set(FIELDS)
# Valid inputs, some with one field of any value; then anything of the input's shape; then not an object.
ONE_FIELD = st.sampled_from(FIELDS).flatmap(
    lambda name: VALUES[name].map(lambda value: {to_camel(name): value})
)
INPUTS = st.one_of(
    st.builds(
        lambda valid, changed: valid | changed,
        st.fixed_dictionaries(
            {"jobName": VALID["job_name"]},
            optional={to_camel(name): values for name, values in VALID.items() if name != "job_name"},
        ),
        st.one_of(st.just({}), ONE_FIELD),
    ),
    st.builds(
        lambda camel, snake, extra: extra | snake | camel,
        st.fixed_dictionaries({}, optional={to_camel(name): values for name, values in VALUES.items()}),
        st.fixed_dictionaries(
            {}, optional={"job_name": VALUES["job_name"], "array_size": VALUES["array_size"]}
        ),
        st.dictionaries(st.text(max_size=6).filter(lambda key: key not in KNOWN), NOT_JSON, max_size=2),
    ),
    NOT_JSON,
)


def outcome(read: Any, raw: Any) -> dict[str, Any] | list[dict[str, str]]:
    """The fields' values, or the problems the input has."""
    try:
        found = read(raw)
    except InvalidInput as invalid:
        return invalid.problems
    return {name: getattr(found, name) for name in FIELDS}


def test_the_reader_has_the_models_fields_in_its_order() -> None:
    # Given the API's model and the workflows' reader
    # Then they declare the same fields, in the same order (problems are reported in that order)
    assert list(RunJobInput.model_fields) == FIELDS


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(INPUTS)
def test_the_reader_and_the_model_agree_on_any_input(raw: Any) -> None:
    # Given any input, valid or not
    # When the model and the reader read it
    # Then both accept it as the same values, or both refuse it with the same problems
    assert outcome(read_run_input, raw) == outcome(RunJobInput.parse, raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"environment": "e", "jobName": "j"}, id="minimal"),
        pytest.param({"jobQueue": "e-JQ1_OD", "jobName": "j", "tags": {RUN_ID_TAG: "x"}}, id="our-tag"),
        pytest.param({"jobQueue": "-bad", "jobName": "j"}, id="bad-queue-no-environment"),
        pytest.param({"job_name": "j", "environment": "e", "runnableTimeoutSeconds": None}, id="snake-null"),
        pytest.param(
            {"environment": "e", "jobName": "j", "env": {"A": 1, "1B": "x"}}, id="env-value-and-name"
        ),
        pytest.param(None, id="no-input"),
    ],
)
def test_the_reader_and_the_model_agree_on_examples(raw: Any) -> None:
    # Given an input of a known shape
    # Then the reader and the model read it alike
    assert outcome(read_run_input, raw) == outcome(RunJobInput.parse, raw)
