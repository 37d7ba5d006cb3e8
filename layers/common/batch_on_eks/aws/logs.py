"""CloudWatch Logs: find a container's log stream by its name prefix."""

from __future__ import annotations

from botocore.exceptions import ClientError

from batch_on_eks.aws.clients import client


def streams_with_prefix(group: str, prefix: str) -> list[str]:
    """Stream names in ``group`` starting with ``prefix`` (none if the group does not exist yet)."""
    try:
        response = client("logs").describe_log_streams(
            logGroupName=group, logStreamNamePrefix=prefix, limit=50
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise
    return [str(stream["logStreamName"]) for stream in response.get("logStreams", [])]


def ensure_log_group(name: str, retention_days: int, tags: dict[str, str]) -> None:
    """The group, with ``retention_days`` (set again on a group that already exists: converges)."""
    logs = client("logs")
    try:
        logs.create_log_group(logGroupName=name, tags=tags)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
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
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
