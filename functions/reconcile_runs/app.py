"""The reconciler, on its schedule: checks every run due for a check, in bulk (DescribeJobs, 100 a call)."""

from typing import Any

from batch_on_eks.observability import logger
from batch_on_eks.runs.reconcile import reconcile_runs
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = reconcile_runs(load_settings(), context.get_remaining_time_in_millis)
    logger.info("reconciled", extra={"outcome": outcome})
    return outcome
