"""EventBridge's scheduled rules in the embedded AWS (local/embedded_aws/schedules.py): a rate schedule fires
on its own, every period times the time scale, each tick a "Scheduled Event" for the rule's targets;
paused, it fires only when a test ticks it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from local.embedded_aws.schedules import rate_seconds
from local.embedded_aws.server import EmbeddedAws
from tests.emulator.conftest import TEST_STACK

BOUND = 30.0  # an upper bound on every wait, never a synchronisation
SCALE = 1 / 300  # five minutes in one second


@pytest.fixture(scope="module")
def stack(aws: EmbeddedAws) -> Any:
    return aws.deploy(TEST_STACK, "schedules-test")


def scheduled_rule(aws: EmbeddedAws, expression: str) -> str:
    """A rule on ``expression`` whose target is the test stack's recorder; its name."""
    events = boto3.client("events")
    name = f"every-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, ScheduleExpression=expression, State="ENABLED")
    recorder = aws.runtime.function("RecorderFunction").arn
    events.put_targets(Rule=name, Targets=[{"Id": "recorder", "Arn": recorder}])
    return name


def heard(stack: Any, rule_name: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(stack.outputs["RecordsTableName"])
    items = table.query(KeyConditionExpression=Key("recorder").eq("schedules-test-RecorderFunction"))["Items"]
    events = [json.loads(item["event"]) for item in items]
    return [e for e in events if e.get("resources", [""])[0].endswith(f":rule/{rule_name}")]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("cron(0 6 * * ? *)", None),
    ],
)
def test_a_rate_schedule_has_a_period_and_a_cron_schedule_none(expression: str, seconds: int | None) -> None:
    assert rate_seconds(expression) == seconds


def test_a_rate_schedule_fires_on_its_own_time_scaled(aws: EmbeddedAws, stack: Any) -> None:
    # Given a rule every 5 minutes, and the schedules running at 1/300 (a tick a second)
    rule = scheduled_rule(aws, "rate(5 minutes)")
    aws.schedules.start(SCALE)
    try:
        # When it has ticked twice
        assert aws.signals.wait_count(f"ticked:{rule}", 2, BOUND)
    finally:
        aws.schedules.stop()
    # Then its target heard a Scheduled Event for each tick, from EventBridge, naming the rule
    events = heard(stack, rule)
    assert len(events) >= 2
    assert {e["source"] for e in events} == {"aws.events"}
    assert {e["detail-type"] for e in events} == {"Scheduled Event"}
    assert len({e["id"] for e in events}) == len(events)


def test_a_paused_schedule_fires_only_when_ticked(aws: EmbeddedAws, stack: Any) -> None:
    # Given a rule every 5 minutes, the schedules running at 1/300, and its first tick done
    rule = scheduled_rule(aws, "rate(5 minutes)")
    aws.schedules.start(SCALE)
    try:
        assert aws.signals.wait_count(f"ticked:{rule}", 1, BOUND)
        # When the schedules are paused and the test ticks the rule once
        with aws.schedules.paused():
            before = aws.signals.counts[f"ticked:{rule}"]
            aws.schedules.tick(rule)
            # Then that tick has run its target by the time it returns, and no other tick came meanwhile
            assert aws.signals.counts[f"ticked:{rule}"] == before + 1
            assert len(heard(stack, rule)) == before + 1
    finally:
        aws.schedules.stop()
