"""One function behind every task of the test state machine: it does what the task's input asks."""

import os
import time

import boto3


class StepRefused(Exception):
    """Raised on request, for the state machine's Catch."""


def lambda_handler(event, context):
    action = event["action"]
    if action == "echo":
        return {"echoed": event.get("value"), "function": context.function_name}
    if action == "fail":
        raise StepRefused(f"refused: {event.get('value')}")
    if action == "sleep":
        time.sleep(float(event["seconds"]))  # a task still running when the test acts
        return {"slept": event["seconds"]}
    if action == "park-token":
        # A callback task: keep the token where the test can find it; the test decides how the task ends.
        boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"]).put_item(
            Item={
                "recorder": "tokens",
                "seq": f"{time.monotonic_ns():020d}",
                "token": event["token"],
                "value": event.get("value", ""),
            }
        )
        return {"parked": True}
    raise ValueError(f"unknown action {action!r}")
