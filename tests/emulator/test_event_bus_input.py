"""The embedded EventBridge's input transformation (what the schedule rule relies on): a target's constant
input, its input path, or its input transformer's template filled from the event."""

from __future__ import annotations

from local.embedded_aws.event_bus import target_input

EVENT = {"id": "e-1", "time": "2025-01-01T00:00:00Z", "detail-type": "Scheduled Event", "detail": {"n": 1}}


def test_a_placeholder_in_quotes_is_the_values_text_and_one_without_is_its_json() -> None:
    # Given a target whose input transformer puts one placeholder in quotes and two without
    target = {
        "InputTransformer": {
            "InputPathsMap": {"id": "$.id", "detail": "$.detail", "missing": "$.detail.nothing"},
            "InputTemplate": '{"id": "<id>", "detail": <detail>, "missing": <missing>}',
        }
    }
    # When the event is delivered to it
    # Then the quoted one is the value's text, the others its JSON (null for a path that finds nothing)
    assert target_input(target, EVENT, "arn:rule", "rule") == {
        "id": "e-1",
        "detail": {"n": 1},
        "missing": None,
    }


def test_a_target_gets_its_constant_input_or_its_input_path() -> None:
    # When the event is delivered to a target with a constant input, with an input path, and with neither
    # Then each gets its constant, the part of the event the path selects, or the whole event
    assert target_input({"Input": '{"a": 1}'}, EVENT, "arn:rule", "rule") == {"a": 1}
    assert target_input({"InputPath": "$.detail"}, EVENT, "arn:rule", "rule") == {"n": 1}
    assert target_input({}, EVENT, "arn:rule", "rule") == EVENT
