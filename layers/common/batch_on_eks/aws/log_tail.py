"""CloudWatch Logs: the last lines of a log stream (a job's container output, as Fluent Bit shipped it)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from batch_on_eks.aws.clients import client

# GetLogEvents may answer a page with fewer events than asked while more are there (its pages are bounded
# by time as well as count): a few more pages backwards at most, then what was found is the answer.
_MAX_PAGES = 5


def last_events(group: str, stream: str, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` of the stream's newest events as ``(timestamp ms, message)``, oldest first.

    A group or stream that does not exist (yet) has no events.
    """
    logs = client("logs")
    found: list[tuple[int, str]] = []
    token: str | None = None
    for _ in range(_MAX_PAGES):
        request = {
            "logGroupName": group,
            "logStreamName": stream,
            "limit": limit - len(found),
            "startFromHead": False,
        }
        if token is not None:
            request["nextToken"] = token
        try:
            page = logs.get_log_events(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return []
            raise
        events = [(int(e["timestamp"]), str(e["message"])) for e in page.get("events", [])]
        found = events + found
        backward = page.get("nextBackwardToken")
        if len(found) >= limit or backward in (None, token):
            break
        token = backward
    return found[-limit:]
