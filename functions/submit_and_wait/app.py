"""SubmitAndWait step (``lambda:invoke.waitForTaskToken``): store the task token, submit the run's job
once, and end the task at once if the job has already ended. Otherwise Batch's events end it."""

from typing import Any

from batch_on_eks.observability import about_run, logger
from batch_on_eks.runs.submit import submit_and_wait
from batch_on_eks.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    about_run(event.get("runId"))
    submit_and_wait(str(event["runId"]), str(event["taskToken"]), load_settings())
    return {}
