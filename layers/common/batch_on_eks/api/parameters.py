"""The request parameters more than one route takes (header and query), declared once, so every route
documents and validates them alike."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from batch_on_eks.api.schemas import IDEMPOTENCY_KEY_DESCRIPTION, MAX_PAGE_SIZE, MAX_PAGE_TOKEN
from batch_on_eks.workflows.execution_names import IDEMPOTENCY_KEY_PATTERN

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN, description=IDEMPOTENCY_KEY_DESCRIPTION),
]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
NextToken = Annotated[
    str | None,
    Query(alias="nextToken", min_length=1, max_length=MAX_PAGE_TOKEN, description="From the last page."),
]
