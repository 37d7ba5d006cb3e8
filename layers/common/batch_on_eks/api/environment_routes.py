"""``/environments``: provision (POST), list (GET), read (GET one), tear down (DELETE one)."""

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
    DEFAULT_PAGE_SIZE,
    ENVIRONMENT_NAME_PATTERN,
    Accepted,
    EnvironmentDetail,
    EnvironmentPage,
    EnvironmentSummary,
    ProvisionRequest,
)
from batch_on_eks.environments.start import start_provisioning, start_teardown
from batch_on_eks.environments.status import environment_status, environments_page

router = APIGatewayRouter()
TAG = "environments"
_ACCEPTED = documented_accepted(
    "Accepted: the workflow runs; follow Location (GET /environments/{name}).", "The environment to follow."
)

PROVISION_EXAMPLES: dict[str, Any] = {
    "blueprint": {"summary": "The blueprint's environment", "value": {"name": "doeks-aws-batch"}},
    "smallSpotHeavy": {
        "summary": "A smaller node group and compute environments",
        "value": {"name": "doeks-small", "nodeGroup": {"desiredSize": 1, "maxSize": 2}, "maxVcpus": 32},
    },
}

EnvironmentName = Annotated[
    str, Path(pattern=ENVIRONMENT_NAME_PATTERN, description="The environment (its EKS cluster's name).")
]


def _setup() -> request_context.Setup:
    return request_context.Setup(router.lambda_context)


@router.post(
    paths.ENVIRONMENTS,
    status_code=202,
    operation_id="provisionEnvironment",
    tags=[TAG],
    summary="Provision an environment",
    description=(
        "Starts the provision workflow: EKS cluster, node group, add-ons, Batch namespace and RBAC, compute "
        "environments, job queues, hello-world job definition. Allowed for a new name, or one whose last "
        "provisioning FAILED or that was DELETED."
    ),
    responses={
        **_ACCEPTED,
        **documented(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.CONFLICT,
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            conflict="EnvironmentExists (it is READY), EnvironmentBusy (an execution is provisioning or "
            "tearing it down), or IdempotencyKeyReused.",
        ),
    },
)
def provision_environment(
    body: Annotated[ProvisionRequest, Body(openapi_examples=PROVISION_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> Response[Accepted]:
    event, setup = router.current_event, _setup()
    origin = request_context.origin(event, idempotency_key)
    raw_input = body.model_dump(by_alias=True, exclude_unset=True)
    result = start_provisioning(raw_input, origin, setup.settings, setup.workflows)
    return request_context.accepted(event, result, f"/environments/{result.id}")


@router.get(
    paths.ENVIRONMENTS,
    operation_id="listEnvironments",
    tags=[TAG],
    summary="List environments",
    description="Every environment ever provisioned (DELETED ones too: the record stays), a page at a time.",
    responses={**documented_ok("A page of environments."), **documented(HTTPStatus.BAD_REQUEST)},
)
def list_environments(limit: PageSize = DEFAULT_PAGE_SIZE, next_token: NextToken = None) -> EnvironmentPage:
    page = environments_page(limit, next_token, _setup().settings)
    return EnvironmentPage(
        items=[EnvironmentSummary.model_validate(item) for item in page.items], next_token=page.next_token
    )


@router.get(
    paths.ENVIRONMENT,
    operation_id="getEnvironment",
    tags=[TAG],
    summary="Read an environment",
    description="Its status, step timeline, outputs (once READY) and failure (once FAILED).",
    responses={
        **documented_ok("The environment."),
        **documented(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND),
    },
)
def get_environment(name: EnvironmentName) -> EnvironmentDetail:
    return EnvironmentDetail.model_validate(environment_status(name, _setup().settings))


@router.delete(
    paths.ENVIRONMENT,
    status_code=202,
    operation_id="tearDownEnvironment",
    tags=[TAG],
    summary="Tear an environment down",
    description=(
        "Starts the teardown workflow: everything provisioning made for the environment is removed, in the "
        "order AWS requires. A teardown already running is the answer (no new execution)."
    ),
    responses={
        **_ACCEPTED,
        **documented(
            HTTPStatus.BAD_REQUEST,
            HTTPStatus.NOT_FOUND,
            HTTPStatus.CONFLICT,
            conflict="EnvironmentDeleted (already), EnvironmentBusy (being provisioned), or "
            "IdempotencyKeyReused.",
        ),
    },
)
def tear_down_environment(
    name: EnvironmentName,
    idempotency_key: IdempotencyKey = None,
    poll_interval_seconds: Annotated[
        int | None,
        Query(
            alias="pollIntervalSeconds",
            ge=0,
            le=600,
            description="The wait between two checks of a deletion, seconds (default 30).",
        ),
    ] = None,
) -> Response[Accepted]:
    event, setup = router.current_event, _setup()
    origin = request_context.origin(event, idempotency_key)
    result = start_teardown(name, origin, setup.settings, setup.workflows, poll_interval_seconds)
    return request_context.accepted(event, result, f"/environments/{result.id}")
