"""EventBridge as the embedded AWS runs it: rules match with moto's own ``EventPattern``; function targets
get the event the way AWS hands it to Lambda (asynchronously).

- A function target that cannot be reached is a delivery failure: the rule's ``DeadLetterConfig`` queue
  gets the event with the error attributes AWS sets (the rule's retry policy cannot help locally, so it is
  treated as exhausted at once).
- A function that raises goes through Lambda's asynchronous retries and then its ``EventInvokeConfig``
  OnFailure destination: that is :class:`~local.embedded_aws.lambda_runtime.LambdaRuntime`'s job, not the
  rule's.
- Other targets (SQS, log groups, buses) go through moto unchanged.

:meth:`EventBus.publish` is how AWS services themselves emit events (Batch job state changes, Step
Functions execution status changes): the whole event message, id included, is given, so a duplicated event
really arrives twice with the same id.

- A scheduled rule (``ScheduleExpression``, no pattern) matches no event: it fires only on its schedule
  (:mod:`local.embedded_aws.schedules` keeps it, time-scaled); :meth:`EventBus.fire_schedule` delivers one
  tick, a "Scheduled Event" as EventBridge sends it.
- A function target gets what the target says it gets: the event, its ``Input`` (a constant), its
  ``InputPath``, or its ``InputTransformer`` applied (:func:`target_input`).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3

from local.embedded_aws.lambda_runtime import LambdaRuntime


def event_time(when: datetime | None = None) -> str:
    """EventBridge's ``time`` field: ISO 8601, UTC, seconds precision."""
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_event(
    source: str, detail_type: str, detail: Mapping[str, Any], account: str, region: str, resources: list[str]
) -> dict[str, Any]:
    """An event message in the envelope EventBridge delivers."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": event_time(),
        "region": region,
        "resources": resources,
        "detail": dict(detail),
    }


_PLACEHOLDER = re.compile(r'"<([A-Za-z0-9_.-]+)>"|<([A-Za-z0-9_.-]+)>')


def _json_path(event: Mapping[str, Any], path: str) -> Any:
    """EventBridge's JSON paths: ``$``, ``$.a.b`` and ``$.list[0]`` (what input paths use)."""
    value: Any = event
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.removeprefix("$")):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def target_input(target: Mapping[str, Any], event: Mapping[str, Any], rule_arn: str, rule_name: str) -> Any:
    """What EventBridge hands the target: ``Input`` (JSON text, parsed), ``InputPath``'s part of the event,
    ``InputTransformer``'s template filled in, or else the event itself.

    In a template, a placeholder between quotes (``"<id>"``) is replaced by the value's text inside the
    quotes; one outside quotes (``<detail>``) by the value as JSON. A path that finds nothing gives null.
    """
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _json_path(event, target["InputPath"])
    transformer = target.get("InputTransformer")
    if not transformer:
        return dict(event)
    values: dict[str, Any] = {
        name: _json_path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event.json": dict(event),
            "aws.events.event.ingestion-time": event_time(),
        }
    )

    def fill(match: re.Match[str]) -> str:
        quoted, bare = match.group(1), match.group(2)
        value = values.get(quoted or bare)
        if quoted is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            return json.dumps(text)
        return json.dumps(value)

    text = _PLACEHOLDER.sub(fill, str(transformer["InputTemplate"]))
    try:
        return json.loads(text)
    except ValueError:
        return text  # a plain-text template (EventBridge sends it as a string)


def _is_scheduled(rule: Any) -> bool:
    """A schedule rule without a pattern: it fires on its schedule only, never for an event."""
    return bool(getattr(rule, "scheduled_expression", None)) and not rule.event_pattern.get_pattern()


class Delivery:
    """Tracks one event's function invocations; ``done`` is set once every one of them has finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 1  # the publisher's own hold, released by seal()
        self.done = threading.Event()

    def add(self) -> None:
        with self._lock:
            self._pending += 1

    def finish_one(self) -> None:
        with self._lock:
            self._pending -= 1
            finished = self._pending == 0
        if finished:
            self.done.set()

    def seal(self) -> None:
        self.finish_one()


class EventBus:
    def __init__(
        self,
        runtime: LambdaRuntime,
        account: str,
        region: str,
        moto_delivery: Callable[[Any, dict[str, Any]], None],
    ):
        """``moto_delivery``: moto's own ``Rule.send_to_targets``, for the targets that are not functions."""
        self.runtime = runtime
        self.account = account
        self.region = region
        self.moto_delivery = moto_delivery

    def rules(self) -> list[Any]:
        """The default bus's rules."""
        from moto.events.models import events_backends

        backend = events_backends[self.account][self.region]
        bus = backend.describe_event_bus("default")
        return list(bus.rules.values())

    def publish(self, message: Mapping[str, Any]) -> Delivery:
        """Deliver an AWS-emitted event on the default bus to every enabled rule that matches it."""
        delivery = Delivery()
        for rule in self.rules():
            if getattr(rule, "state", "ENABLED") == "ENABLED":
                self.send_to_rule_targets(rule, dict(message), delivery)
        delivery.seal()
        return delivery

    def send_to_rule_targets(
        self, rule: Any, event: dict[str, Any], delivery: Delivery | None = None
    ) -> None:
        """What moto's ``Rule.send_to_targets`` does, plus Lambda function targets (installed as its hook)."""
        if _is_scheduled(rule) or not rule.event_pattern.matches_event(event):
            return
        self._deliver(rule, event, delivery)

    def fire_schedule(self, rule_name: str) -> Delivery:
        """One tick of a scheduled rule on the default bus: the "Scheduled Event" EventBridge sends (source
        ``aws.events``, the rule's ARN as the resource), handed to the rule's targets."""
        from moto.events.models import events_backends

        rule = events_backends[self.account][self.region].describe_rule(rule_name, None)
        if not _is_scheduled(rule):
            raise ValueError(f"rule {rule_name} has no schedule")
        event = aws_event("aws.events", "Scheduled Event", {}, self.account, self.region, [rule.arn])
        delivery = Delivery()
        self._deliver(rule, event, delivery)
        delivery.seal()
        return delivery

    def _deliver(self, rule: Any, event: dict[str, Any], delivery: Delivery | None) -> None:
        function_targets = [t for t in rule.targets if t["Arn"].split(":")[2] == "lambda"]
        other_targets = [t for t in rule.targets if t not in function_targets]
        if other_targets:
            view = copy.copy(rule)
            view.targets = other_targets
            self.moto_delivery(view, event)
        for target in function_targets:
            self._to_function(rule, target, event, delivery)

    def _to_function(
        self, rule: Any, target: Mapping[str, Any], event: Mapping[str, Any], delivery: Delivery | None
    ) -> None:
        function = self.runtime.find(target["Arn"])
        if function is None:
            self._dead_letter(
                rule, target, event, "ResourceNotFoundException", f"Function not found: {target['Arn']}"
            )
            return
        payload = json.dumps(target_input(target, event, rule.arn, rule.name)).encode()
        if delivery is None:
            self.runtime.invoke_async(function, payload)
        else:
            delivery.add()
            self.runtime.invoke_async(function, payload, on_done=delivery.finish_one)

    def _dead_letter(
        self, rule: Any, target: Mapping[str, Any], event: Mapping[str, Any], code: str, message: str
    ) -> None:
        dead_letter_arn = target.get("DeadLetterConfig", {}).get("Arn")
        if not dead_letter_arn:
            return  # EventBridge drops an undeliverable event when the target has no dead-letter queue
        sqs = boto3.client("sqs", region_name=self.region)
        url = sqs.get_queue_url(QueueName=dead_letter_arn.rsplit(":", 1)[1])["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                "RULE_ARN": {"DataType": "String", "StringValue": rule.arn},
                "TARGET_ARN": {"DataType": "String", "StringValue": target["Arn"]},
                "ERROR_CODE": {"DataType": "String", "StringValue": code},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": message},
            },
        )
