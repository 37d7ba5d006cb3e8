"""Result step: the run's outcome with pod, node and CloudWatch log links (``error``/``cause`` on failure)."""

from typing import Any

from batch_on_eks.observability import about_run, logger
from batch_on_eks.runs.result import run_result
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    about_run(event.get("runId"))
    return run_result(str(event["runId"]), load_settings())
