"""Target of the run-job executions' status change rule: a run whose execution was stopped, timed out or
failed must not leave its job running."""

from typing import Any

from batch_on_eks.logic.abort import abort
from batch_on_eks.observability import logger
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event["detail"]
    logger.append_keys(run_id=detail.get("name"), execution_status=detail.get("status"))
    outcome = abort(str(detail["name"]), str(detail["status"]), detail.get("error"), load_settings())
    logger.info("execution ended", extra={"outcome": outcome})
    return {"outcome": outcome}
