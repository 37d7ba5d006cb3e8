"""The stack's custom resources (``Custom::BlueprintProvisioning``, ``Custom::EnvironmentsTeardown``):
CloudFormation invokes this function with a request and waits for the answer at the request's
``ResponseURL``; the function's return value is for the logs only."""

from typing import Any

from batch_on_eks.models.custom_resource import CustomResourceRequest
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_settings
from batch_on_eks.stack.custom_resources import answer_custom_resource


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # A request without a ResponseURL cannot be answered: the validation error is all there is to say.
    request = CustomResourceRequest.model_validate(event)
    logger.thread_safe_append_keys(
        request_type=request.request_type.value,
        resource_type=request.resource_type,
        logical_resource_id=request.logical_resource_id,
    )
    outcome = answer_custom_resource(request, load_settings())
    logger.info("custom resource request", extra=outcome)
    return outcome
