"""Validate step of the run-job workflow: check the input and the environment, record the run."""

from typing import Any

from batch_on_eks.observability import about_run, logger
from batch_on_eks.runs.validate import validate_run
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    about_run(event.get("runId"))
    return validate_run(str(event["runId"]), event.get("input"), load_settings())
