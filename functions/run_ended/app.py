"""Target of the run-job executions' status change rule (every ending: SUCCEEDED, FAILED, TIMED_OUT,
ABORTED): a run that did not succeed must not leave its job running, and every ending is announced as the
control plane's "Run Finished" event."""

from typing import Any

from batch_on_eks.observability import about_run, logger
from batch_on_eks.runs.ended import run_ended
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event["detail"]
    about_run(detail.get("name"))
    logger.thread_safe_append_keys(execution_status=detail.get("status"))
    result = run_ended(detail, load_settings())
    logger.info("execution ended", extra=result)
    return result
