"""The steps of the stack-teardown workflow, one action per invocation: ``advance`` (start, adopt or wait
for each environment's teardown), ``respond`` (answer CloudFormation's Delete with the outcome) and
``respondToFailure`` (answer FAILED when a step failed for good)."""

from typing import Any

from batch_on_eks.observability import logger
from batch_on_eks.settings import load_settings
from batch_on_eks.stack.teardown import advance, respond, respond_to_failure


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    logger.append_keys(action=action)
    if action == "advance":
        return advance(event["state"], load_settings())
    if action == "respond":
        return respond(event["request"], event["outcome"])
    if action == "respondToFailure":
        return respond_to_failure(event["request"], event.get("error") or {})
    raise ValueError(f"unknown action {action!r}")
