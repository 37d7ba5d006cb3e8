"""The environment's record in the provision and teardown workflows: begin (validate the input, claim the
environment), complete, record a failure, start the rollback."""

from typing import Any

from batch_on_eks.environments.record_step import environment_record_step
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.thread_safe_append_keys(
        action=event.get("action"), environment=(event.get("config") or event.get("input") or {}).get("name")
    )
    return environment_record_step(
        event, load_settings(), load_provisioning_settings(), context.invoked_function_arn
    )
