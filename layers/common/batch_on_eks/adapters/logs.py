"""CloudWatch Logs: find a container's log stream by its name prefix."""

from __future__ import annotations

from botocore.exceptions import ClientError

from batch_on_eks.clients import client


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
