"""EventBridge as the embedded AWS runs it: rules match with moto's own ``EventPattern``; function targets
get the event the way AWS hands it to Lambda (asynchronously).

- A function target that cannot be reached is a delivery failure: the rule's ``DeadLetterConfig`` queue
  gets the event with the error attributes AWS sets (the rule's retry policy cannot help locally, so it is
  treated as exhausted at once).
- A function that raises goes through Lambda's asynchronous retries and then its ``EventInvokeConfig``
  OnFailure destination: that is :class:`~local.lambda_runtime.LambdaRuntime`'s job, not the rule's.
- Other targets (SQS, log groups, buses) go through moto unchanged.

:meth:`EventBus.publish` is how AWS services themselves emit events (Batch job state changes, Step
Functions execution status changes): the whole event message, id included, is given, so a duplicated event
really arrives twice with the same id.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3

from local.lambda_runtime import LambdaRuntime


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
    def __init__(self, runtime: LambdaRuntime, account: str, region: str):
        self.runtime = runtime
        self.account = account
        self.region = region

    def _rules(self) -> list[Any]:
        from moto.events.models import events_backends

        backend = events_backends[self.account][self.region]
        bus = backend.describe_event_bus("default")
        return list(bus.rules.values())

    def publish(self, message: Mapping[str, Any]) -> Delivery:
        """Deliver an AWS-emitted event on the default bus to every enabled rule that matches it."""
        delivery = Delivery()
        for rule in self._rules():
            if getattr(rule, "state", "ENABLED") == "ENABLED":
                self.send_to_rule_targets(rule, dict(message), delivery)
        delivery.seal()
        return delivery

    def send_to_rule_targets(
        self, rule: Any, event: dict[str, Any], delivery: Delivery | None = None
    ) -> None:
        """What moto's ``Rule.send_to_targets`` does, plus Lambda function targets (installed as its hook)."""
        from local.moto_hooks import original_send_to_targets

        if not rule.event_pattern.matches_event(event):
            return
        function_targets = [t for t in rule.targets if t["Arn"].split(":")[2] == "lambda"]
        other_targets = [t for t in rule.targets if t not in function_targets]
        if other_targets:
            view = copy.copy(rule)
            view.targets = other_targets
            original_send_to_targets(view, event)
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
        payload = json.dumps(event).encode()
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
