"""The environment's record in the provision and teardown workflows: begin (validate the input, claim the
environment), complete, record a failure, start the rollback."""

from typing import Any

from batch_on_eks.environments.record_step import EnvironmentLifecycle
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_provisioning_settings, load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    logger.append_keys(
        action=action, environment=(event.get("config") or event.get("input") or {}).get("name")
    )
    lifecycle = EnvironmentLifecycle(
        load_settings(), load_provisioning_settings(), context.invoked_function_arn
    )
    if action == "beginProvisioning":
        return lifecycle.begin_provisioning(event.get("input"), str(event["executionArn"]))
    if action == "completeProvisioning":
        return lifecycle.complete_provisioning(event["config"])
    if action == "recordFailure":
        return lifecycle.record_failure(event["config"], event.get("error") or {})
    if action == "startRollback":
        return lifecycle.start_rollback(event["config"], str(event["executionName"]))
    if action == "beginTeardown":
        return lifecycle.begin_teardown(event.get("input"), str(event["executionArn"]))
    if action == "completeTeardown":
        return lifecycle.complete_teardown(event["config"])
    raise ValueError(f"unknown action {action!r}")
