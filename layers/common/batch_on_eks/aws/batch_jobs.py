"""AWS Batch: submit, find, describe and terminate jobs."""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.clients import client, client_without_retries
from batch_on_eks.errors import AwsRequestFailed, SubmitOutcomeUnknown, SubmitRejected, SubmitThrottled
from batch_on_eks.models.job_event import BatchJobDetail


def submit_job(request: dict[str, Any]) -> tuple[str, str]:
    """Submit once (no SDK retries: a resend after a lost reply would make a second job).

    Throttling means nothing was created: SubmitThrottled, for the state machine to retry. Any other
    server-side failure may have created the job: SubmitOutcomeUnknown, so the retry first looks for it.
    A client error is final: SubmitRejected, which the state machine turns into a named failure.
    """
    try:
        response = client_without_retries("batch").submit_job(**request)
    except AwsRequestFailed as error:
        if error.throttled:
            raise SubmitThrottled(f"SubmitJob throttled: {error}") from error
        if (error.status or 400) >= 500:
            raise SubmitOutcomeUnknown(
                f"SubmitJob failed on the server side; the job may exist: {error}"
            ) from error
        raise SubmitRejected(f"Batch refused the job ({error.code}): {error.reason or error}") from error
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
    return BatchJobDetail.from_dict(jobs[0]) if jobs else None


def terminate_job(job_id: str, reason: str) -> None:
    client("batch").terminate_job(jobId=job_id, reason=reason)
