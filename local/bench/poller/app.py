"""The polling baseline's one function: SubmitJob, or DescribeJobs' status."""

from typing import Any

import boto3


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = boto3.client("batch")
    if event["action"] == "submit":
        return {"jobId": batch.submit_job(**event["request"])["jobId"]}
    return {"status": batch.describe_jobs(jobs=[event["jobId"]])["jobs"][0]["status"]}
