"""Always fails, after counting its attempt (so a test can see Lambda's asynchronous retries)."""

import os
import time

import boto3


class RecordingFailed(Exception):
    pass


def lambda_handler(event, context):
    boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"]).put_item(
        Item={"recorder": context.function_name, "seq": f"{time.monotonic_ns():020d}", "eventId": event["id"]}
    )
    raise RecordingFailed(f"cannot record {event['id']}")
