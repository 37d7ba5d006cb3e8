"""AWS Batch: submit, find, describe and terminate jobs."""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.clients import client, client_without_retries
from batch_on_eks.errors import AwsRequestFailed, SubmitOutcomeUnknown, SubmitRejected, SubmitThrottled
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus


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


# DescribeJobs takes at most 100 job ids a call (AWS Batch API Reference, DescribeJobs).
DESCRIBE_JOBS_BATCH = 100


def describe_job(job_id: str) -> BatchJobDetail | None:
    jobs = client("batch").describe_jobs(jobs=[job_id]).get("jobs", [])
    return BatchJobDetail.from_dict(jobs[0]) if jobs else None


def describe_jobs(job_ids: list[str]) -> dict[str, BatchJobDetail]:
    """The jobs Batch knows among ``job_ids``, by id, 100 to a call; a job it no longer knows is absent."""
    found: dict[str, BatchJobDetail] = {}
    unique = list(dict.fromkeys(job_ids))
    for start in range(0, len(unique), DESCRIBE_JOBS_BATCH):
        batch = unique[start : start + DESCRIBE_JOBS_BATCH]
        for job in client("batch").describe_jobs(jobs=batch).get("jobs", []):
            detail = BatchJobDetail.from_dict(job)
            found[detail.job_id] = detail
    return found


def ended_array_children(parent_job_id: str) -> list[tuple[int, JobStatus]]:
    """Every child of the array job that has ended, as Batch lists them: (index, SUCCEEDED or FAILED)."""
    paginator = client("batch").get_paginator("list_jobs")
    ended: list[tuple[int, JobStatus]] = []
    for status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        for page in paginator.paginate(arrayJobId=parent_job_id, jobStatus=status.value):
            for summary in page.get("jobSummaryList", []):
                index = (summary.get("arrayProperties") or {}).get("index")
                if index is None:
                    index = int(str(summary["jobId"]).rsplit(":", 1)[1])
                ended.append((int(index), status))
    return ended


def terminate_job(job_id: str, reason: str) -> None:
    client("batch").terminate_job(jobId=job_id, reason=reason)
