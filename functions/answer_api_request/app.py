"""The REST API (API Gateway, AWS_IAM auth on every method): one function answers every route.

The routes, validation and error answers live in ``batch_on_eks.api``; this handler only adds the logger's
Lambda context and the request id as the correlation id."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from batch_on_eks.api.resolver import answer_api_request
from batch_on_eks.observability import logger


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return answer_api_request(event, context)
