"""Step Functions task tokens: end the run's waiting SubmitAndWait task, with the job's outcome or a failure.

A token that no longer answers (the task timed out, was retried with a new token, or the execution
ended) is normal: the run moved on, and whoever holds the current token finishes it.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.observability import logger

_STALE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


def _send(operation: str, **kwargs: Any) -> bool:
    try:
        getattr(client("stepfunctions"), operation)(**kwargs)
        return True
    except AwsRequestFailed as error:
        if error.code in _STALE:
            logger.info(
                "task token no longer answers; the run moved on",
                extra={"operation": operation, "code": error.code},
            )
            return False
        raise


def succeed(token: str, output: str) -> bool:
    return _send("send_task_success", taskToken=token, output=output)


def fail(token: str, error: str, cause: str) -> bool:
    return _send("send_task_failure", taskToken=token, error=error, cause=cause)
