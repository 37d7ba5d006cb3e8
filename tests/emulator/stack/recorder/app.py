"""Records every event it receives, in order of arrival, under its own function name."""

import json
import os
import time

import boto3


def lambda_handler(event, context):
    boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"]).put_item(
        Item={
            "recorder": context.function_name,
            "seq": f"{time.monotonic_ns():020d}",
            "eventId": event["id"],
            "event": json.dumps(event),
        }
    )
    return {"recorded": event["id"]}
