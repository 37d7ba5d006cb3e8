"""``/jobs``: run a job (POST), list an environment's runs (GET), read a run (GET one), cancel it, and read
the last lines of its container's log."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from batch_on_eks.api import paths, request_context
from batch_on_eks.api.parameters import IdempotencyKey, NextToken, PageSize
from batch_on_eks.api.problems import documented, documented_accepted, documented_ok
from batch_on_eks.api.schemas import (
    DEFAULT_LOG_LINES,
    DEFAULT_PAGE_SIZE,
    ENVIRONMENT_NAME_PATTERN,
    MAX_LOG_LINES,
    RUN_ID_PATTERN,
    Accepted,
    JobDetail,
    JobLogs,
    JobPage,
    JobSummary,
)
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run_input import RunJobInput
from batch_on_eks.observability import about_run
from batch_on_eks.runs.cancel import cancel_run
from batch_on_eks.runs.log_lines import last_log_lines
from batch_on_eks.runs.start import start_run
from batch_on_eks.runs.status import list_runs, run_status

router = APIGatewayRouter()
TAG = "jobs"

# The request bodies people start from (the docs', and the stack's HelloWorld*ApiCommand outputs).
RUN_JOB_EXAMPLES: dict[str, Any] = {
    "helloWorld": {
        "summary": "The blueprint's hello-world job, on the environment's on-demand queue",
        "value": {"environment": "doeks-aws-batch", "jobName": "hello-world"},
    },
    "commandOnSpot": {
        "summary": "Another command on the Spot queue, with a time limit and a retry",
        "value": {
            "environment": "doeks-aws-batch",
            "jobQueue": "doeks-aws-batch-JQ1_SPOT",
            "jobName": "say-hello",
            "command": ["/bin/sh", "-c", "echo hello from the API"],
            "timeoutSeconds": 600,
            "retryAttempts": 2,
        },
    },
}

RunId = Annotated[str, Path(pattern=RUN_ID_PATTERN, description="The run's id (its execution's name).")]


def _setup() -> request_context.Setup:
    return request_context.Setup(router.lambda_context)


@router.post(
    paths.JOBS,
    status_code=202,
    operation_id="runJob",
    tags=[TAG],
    summary="Run a job",
    description=(
        "Starts the run-job workflow on a READY environment; the execution's name is the run's id. The body "
        "is the run-job workflow's input (docs/runs.md)."
    ),
    responses={
        **documented_accepted("Accepted: the run started; follow Location.", "The run to follow."),
        **documented(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.NOT_FOUND,
            HTTPStatus.CONFLICT,
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            conflict="EnvironmentNotReady (it is not READY), or IdempotencyKeyReused.",
        ),
    },
)
def run_job(
    body: Annotated[RunJobInput, Body(openapi_examples=RUN_JOB_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> Response[Accepted]:
    event, setup = router.current_event, _setup()
    origin = request_context.origin(event, idempotency_key)
    raw_input = body.model_dump(by_alias=True, exclude_unset=True)
    result = start_run(raw_input, origin, setup.settings, setup.workflows)
    return request_context.accepted(event, result, f"/jobs/{result.id}")


@router.get(
    paths.JOBS,
    operation_id="listJobs",
    tags=[TAG],
    summary="List an environment's runs",
    description="Grouped by the job's status, newest first within each; a page at a time.",
    responses={
        **documented_ok("A page of the environment's runs."),
        **documented(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND),
    },
)
def list_jobs(
    environment: Annotated[
        str,
        Query(pattern=ENVIRONMENT_NAME_PATTERN, description="Required: the environment whose runs to list."),
    ],
    status: Annotated[JobStatus | None, Query(description="Only runs whose job is in this status.")] = None,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    next_token: NextToken = None,
) -> JobPage:
    page = list_runs(environment, status.value if status else None, limit, next_token, _setup().settings)
    return JobPage(items=[JobSummary.model_validate(item) for item in page.items], next_token=page.next_token)


@router.get(
    paths.JOB,
    operation_id="getJob",
    tags=[TAG],
    summary="Read a run",
    description=(
        "Status, timeline, job id, pod, node, exit code and CloudWatch log links; once the run has ended, "
        "its outcome (error and cause when it failed)."
    ),
    responses={**documented_ok("The run."), **documented(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)},
)
def get_job(id: RunId) -> JobDetail:
    about_run(id)
    setup = _setup()
    return JobDetail.model_validate(run_status(id, setup.settings, setup.workflows))


@router.post(
    paths.JOB_CANCEL,
    status_code=202,
    operation_id="cancelJob",
    tags=[TAG],
    summary="Cancel a run",
    description=(
        "Terminates the run's Batch job; the run then ends with error JobCancelled. Before the job is "
        "submitted, the run's execution is stopped instead."
    ),
    responses={
        **documented_accepted(
            "Accepted: the job is being terminated; follow Location.", "The run to follow."
        ),
        **documented(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.NOT_FOUND,
            HTTPStatus.CONFLICT,
            conflict="RunFinished: the run, or its job, has already ended.",
        ),
    },
)
def cancel_job(id: RunId) -> Response[Accepted]:
    about_run(id)
    event = router.current_event
    setup = _setup()
    result = cancel_run(id, request_context.origin(event, None), setup.settings, setup.workflows)
    return request_context.accepted(event, result, f"/jobs/{result.id}")


@router.get(
    paths.JOB_LOGS,
    operation_id="getJobLogs",
    tags=[TAG],
    summary="The last lines of a run's log",
    description=(
        "The last `limit` lines of the application container (of the current attempt), from CloudWatch Logs "
        "(Container Insights); none before the pod has started."
    ),
    responses={
        **documented_ok("The log's last lines."),
        **documented(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND),
    },
)
def get_job_logs(
    id: RunId,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_LINES, description="How many lines.")] = DEFAULT_LOG_LINES,
) -> JobLogs:
    about_run(id)
    setup = _setup()
    return JobLogs.model_validate(last_log_lines(id, limit, setup.settings, setup.workflows))
