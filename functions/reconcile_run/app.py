"""Reconcile step (after a heartbeat lapse): DescribeJobs, then finished / ended (deadline) / wait."""

from typing import Any

from batch_on_eks.observability import logger
from batch_on_eks.runs.reconcile import reconcile_run
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(run_id=event.get("runId"))
    return reconcile_run(str(event["runId"]), load_settings())
