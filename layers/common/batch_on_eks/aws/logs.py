"""CloudWatch Logs: the Container Insights log groups of an environment, a container's log stream (found by
its name prefix), and the last lines of a stream (a job's container output, as Fluent Bit shipped it)."""

from __future__ import annotations

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed

# GetLogEvents may answer a page with fewer events than asked while more are there (its pages are bounded
# by time as well as count): a few more pages backwards at most, then what was found is the answer.
_MAX_PAGES = 5


def streams_with_prefix(group: str, prefix: str) -> list[str]:
    """Stream names in ``group`` starting with ``prefix`` (none if the group does not exist yet)."""
    try:
        response = client("logs").describe_log_streams(
            logGroupName=group, logStreamNamePrefix=prefix, limit=50
        )
    except AwsRequestFailed as error:
        if error.code == "ResourceNotFoundException":
            return []
        raise
    return [str(stream["logStreamName"]) for stream in response.get("logStreams", [])]


def ensure_log_group(name: str, retention_days: int, tags: dict[str, str]) -> None:
    """The group, with ``retention_days`` (set again on a group that already exists: converges)."""
    logs = client("logs")
    try:
        logs.create_log_group(logGroupName=name, tags=tags)
    except AwsRequestFailed as error:
        if error.code != "ResourceAlreadyExistsException":
            raise
    logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)


def log_groups_with_prefix(prefix: str) -> list[str]:
    paginator = client("logs").get_paginator("describe_log_groups")
    return [
        str(group["logGroupName"])
        for page in paginator.paginate(logGroupNamePrefix=prefix)
        for group in page.get("logGroups", [])
    ]


def delete_log_group(name: str) -> None:
    try:
        client("logs").delete_log_group(logGroupName=name)
    except AwsRequestFailed as error:
        if error.code != "ResourceNotFoundException":
            raise


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
        except AwsRequestFailed as error:
            if error.code == "ResourceNotFoundException":
                return []
            raise
        events = [(int(e["timestamp"]), str(e["message"])) for e in page.get("events", [])]
        found = events + found
        backward = page.get("nextBackwardToken")
        if len(found) >= limit or backward in (None, token):
            break
        token = backward
    return found[-limit:]
