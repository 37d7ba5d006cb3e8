"""AWS Batch: submit, find, describe and terminate jobs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from batch_on_eks.clients import client, client_without_retries
from batch_on_eks.errors import SubmitOutcomeUnknown, SubmitThrottled
from batch_on_eks.models.job_event import BatchJobDetail

_THROTTLED = {"TooManyRequestsException", "ThrottlingException"}


def submit_job(request: dict[str, Any]) -> tuple[str, str]:
    """Submit once (no SDK retries: a resend after a lost reply would make a second job).

    Throttling means nothing was created: SubmitThrottled, for the state machine to retry. Any other
    server-side failure may have created the job: SubmitOutcomeUnknown, so the retry first looks for it.
    """
    try:
        response = client_without_retries("batch").submit_job(**request)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in _THROTTLED:
            raise SubmitThrottled(f"SubmitJob throttled: {error}") from error
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) >= 500:
            raise SubmitOutcomeUnknown(
                f"SubmitJob failed on the server side; the job may exist: {error}"
            ) from error
        raise
    return str(response["jobId"]), str(response["jobArn"])


def find_job_by_name(queue_arn: str, job_name: str) -> tuple[str, str] | None:
    """The job named ``job_name`` on the queue, whatever its status (ListJobs with a name filter)."""
    paginator = client("batch").get_paginator("list_jobs")
    filters = [{"name": "JOB_NAME", "values": [job_name]}]
    for page in paginator.paginate(jobQueue=queue_arn, filters=filters):
        for summary in page.get("jobSummaryList", []):
            if summary["jobName"] == job_name:
                return str(summary["jobId"]), str(summary["jobArn"])
    return None


def describe_job(job_id: str) -> BatchJobDetail | None:
    jobs = client("batch").describe_jobs(jobs=[job_id]).get("jobs", [])
    return BatchJobDetail.model_validate(jobs[0]) if jobs else None


def terminate_job(job_id: str, reason: str) -> None:
    client("batch").terminate_job(jobId=job_id, reason=reason)
