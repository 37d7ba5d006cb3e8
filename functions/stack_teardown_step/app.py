"""The steps of the stack-teardown workflow, one action per invocation: ``advance`` (start, adopt or wait
for each environment's teardown), ``respond`` (answer CloudFormation's Delete with the outcome) and
``respondToFailure`` (answer FAILED when a step failed for good)."""

from typing import Any

from batch_on_eks.observability import logger
from batch_on_eks.settings import load_settings
from batch_on_eks.stack.teardown import stack_teardown_step


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.thread_safe_append_keys(action=event.get("action"))
    return stack_teardown_step(event, load_settings())
