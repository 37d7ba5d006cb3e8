"""What the API reads and answers, as pydantic models: the resolver validates requests and responses with
them, and the OpenAPI document is generated from them. JSON is camelCase, as everywhere in the product.

Request bodies are the workflows' own inputs (``RunJobInput``; ``ProvisionInput`` less the one rule that
needs the stack's settings), so the API and the console accept exactly the same documents.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from batch_on_eks.models.camel_case import CamelCaseModel
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.models.environment_input import ProvisionInput
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import FIRST_FAILED_INDEXES
from batch_on_eks.runs.log_lines import MAX_LOG_BYTES

# -- limits (documented in docs/api.md and the OpenAPI document) ---------------------------------------------
MAX_BODY_BYTES = 256 * 1024  # a request body; larger is 413 (API Gateway's own limit is 10 MB)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
DEFAULT_LOG_LINES = 50
MAX_LOG_LINES = 1000
MAX_PAGE_TOKEN = 2048

ENVIRONMENT_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$"
RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
IDEMPOTENCY_KEY_DESCRIPTION = (
    "Optional. The same key, sent again by the same caller to the same operation, starts nothing new: the "
    "answer is the first request's (202, same Location). Reused with a different request: 409. "
    "Printable ASCII, 1 to 255 characters (a UUID is a good choice)."
)


class ProvisionRequest(ProvisionInput):
    """The provision workflow's input (``{"name": "<ResourcePrefix>-aws-batch"}`` is enough).

    ``name`` must start with the stack's ``ResourcePrefix`` and a hyphen: that rule needs the stack's
    settings, so it is checked when the request is handled (400, field ``name``), not by the schema.
    """

    @field_validator("name")
    @classmethod
    def _prefixed_name(cls, name: str, info: ValidationInfo) -> str:  # replaces ProvisionInput's
        if not re.fullmatch(ENVIRONMENT_NAME_PATTERN, name):
            raise ValueError(
                "lowercase letters, digits and hyphens, at most 100 characters, starting and ending "
                f"alphanumeric, starting with '<ResourcePrefix>-' (got {name!r})"
            )
        return name


# -- answers ------------------------------------------------------------------------------------------------
class ErrorBody(BaseModel):
    """Every error the API answers (4xx and 5xx alike)."""

    code: str = Field(
        description="Machine-readable: InvalidInput, EnvironmentNotFound, EnvironmentNotReady..."
    )
    message: str = Field(description="For people: what was wrong and, where it helps, what to do.")
    field: str | None = Field(
        description="The part of the request at fault (a body field such as jobName, "
        "a query or path parameter, a header), or null."
    )


class Accepted(CamelCaseModel):
    """A long operation was accepted (202): a workflow carries it out; ``Location`` says where to follow."""

    id: str = Field(description="The environment's name, or the run's id.")
    location: str = Field(description="The resource to read for progress (also the Location header).")
    execution_arn: str = Field(description="The Step Functions execution carrying it out.")
    new_execution: bool = Field(
        description="False when no new execution started: an Idempotency-Key replay, or one already running."
    )


class EnvironmentSummary(CamelCaseModel):
    name: str
    status: EnvironmentStatus
    namespace: str | None = None
    cluster_arn: str | None = None
    execution_arn: str | None = Field(default=None, description="The last provision or teardown execution.")


class EnvironmentPage(CamelCaseModel):
    items: list[EnvironmentSummary]
    next_token: str | None = Field(description="Pass as nextToken for the next page; null on the last one.")


class EnvironmentStep(CamelCaseModel):
    step: str
    at: str = Field(description="ISO 8601, UTC.")
    detail: str | None = None


class EnvironmentFailure(CamelCaseModel):
    step: str | None = None
    error: str | None = None
    reason: str | None = None


class EnvironmentDetail(CamelCaseModel):
    name: str
    status: EnvironmentStatus
    namespace: str | None = None
    execution_arn: str | None = None
    cluster_arn: str | None = None
    job_queues: dict[str, str] | None = Field(default=None, description="Queue kind (onDemand, spot) to ARN.")
    outputs: dict[str, Any] | None = Field(
        default=None,
        description="Once READY: updateKubeconfigCommand, jobQueues, jobDefinition, helloWorldCommands.",
    )
    failure: EnvironmentFailure | None = None
    timeline: list[EnvironmentStep] | None = None
    rollback_execution_arn: str | None = None


class JobSummary(CamelCaseModel):
    run_id: str
    environment: str
    job_name: str | None = None
    job_id: str | None = None
    job_status: JobStatus | None = None
    created_at: str | None = None


class JobPage(CamelCaseModel):
    items: list[JobSummary]
    next_token: str | None = Field(description="Pass as nextToken for the next page; null on the last one.")


class JobTimelineEntry(CamelCaseModel):
    status: JobStatus
    at: str = Field(description="ISO 8601, UTC.")
    attempt: int
    source: str = Field(description="event (Batch's own event) or describe (DescribeJobs).")


class LogLinks(CamelCaseModel):
    log_group: str
    log_stream: str | None = Field(default=None, description="Known once the run has ended.")
    log_stream_url: str | None = None
    log_group_url: str
    insights_query: str
    insights_url: str


ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
RunStatus = Literal[
    "ACCEPTED",
    "SUBMITTED",
    "PENDING",
    "RUNNABLE",
    "STARTING",
    "RUNNING",
    "FINISHING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
]


class ArrayChildren(CamelCaseModel):
    """An array job's children, as far as their ends are recorded (Batch's own progress is its job's
    ``statusSummary``)."""

    size: int
    counts: dict[str, int] = Field(description="How many children ended in each status: SUCCEEDED, FAILED.")
    failed_indexes: list[int] = Field(
        description=f"The lowest {FIRST_FAILED_INDEXES} indexes of the children that failed, ascending."
    )
    failed_total: int = Field(description="How many children failed in all.")
    complete: bool = Field(description="Whether every child's end is recorded.")


class JobDetail(CamelCaseModel):
    run_id: str
    status: RunStatus = Field(
        description=(
            "The run in one word: ACCEPTED (no job yet), the job's status while it runs, FINISHING (the job "
            "has ended, the outcome is being recorded), then the execution's: SUCCEEDED, FAILED, TIMED_OUT, "
            "ABORTED. Poll until one of those four."
        )
    )
    execution_arn: str
    execution_status: ExecutionStatus | None = None
    environment: str | None = None
    job_name: str | None = None
    job_id: str | None = None
    job_status: JobStatus | None = None
    status_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None
    pod_name: str | None = None
    node_name: str | None = None
    namespace: str | None = None
    attempts: int = 0
    timeline: list[JobTimelineEntry] = Field(default_factory=list)
    log_links: LogLinks | None = None
    error: str | None = Field(
        default=None, description="Once failed: InvalidInput, BatchJobFailed, JobCancelled, JobTimedOut..."
    )
    cause: str | None = Field(
        default=None, description="The execution's Cause (JSON for the run's own failures)."
    )
    created_at: str | None = None
    stopped_at: str | None = None
    array_children: ArrayChildren | None = Field(default=None, description="An array job's children.")


class LogLine(CamelCaseModel):
    timestamp: int = Field(description="Epoch milliseconds.")
    message: str


class JobLogs(CamelCaseModel):
    run_id: str
    log_group: str | None = None
    log_stream: str | None = None
    lines: list[LogLine]
    truncated: bool = Field(
        description=f"True when older lines were left out to stay under {MAX_LOG_BYTES} bytes."
    )


class OpenApiDocument(BaseModel):
    """This document."""

    model_config = ConfigDict(extra="allow")
