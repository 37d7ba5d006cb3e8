"""Container logs as Container Insights' Fluent Bit ships them from an EKS node to CloudWatch Logs.

Group ``/aws/containerinsights/<cluster>/application``; stream
``<nodeName>-application.var.log.containers.<podName>_<namespace>_<container>-<containerID>.log``; each event
a JSON record whose ``log`` field is the line the container printed. (This is AWS's side of the naming; the
control plane finds streams by prefix, it does not share this code.)
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime
from typing import Any

import boto3


def cluster_name(cluster_arn: str) -> str:
    return cluster_arn.rsplit("/", 1)[-1]


class ContainerLogStream:
    def __init__(self, logs: Any, group: str, stream: str, record_base: dict[str, Any]):
        self._logs = logs
        self.group = group
        self.stream = stream
        self._record_base = record_base
        self._lock = threading.Lock()

    def write(self, timestamp_ms: int, line: str) -> None:
        record = {
            "time": datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat().replace("+00:00", "Z"),
            "stream": "stdout",
            "_p": "F",
            "log": line,
            **self._record_base,
        }
        with self._lock:
            self._logs.put_log_events(
                logGroupName=self.group,
                logStreamName=self.stream,
                logEvents=[{"timestamp": timestamp_ms, "message": json.dumps(record)}],
            )

    def close(self) -> None:
        """Nothing is buffered: each line is shipped as it is read."""


class ContainerLogWriter:
    def __init__(self, region: str):
        self.region = region
        self._logs: Any = None
        self._lock = threading.Lock()

    def _client(self) -> Any:
        with self._lock:
            if self._logs is None:
                self._logs = boto3.client("logs", region_name=self.region)
            return self._logs

    def writer(
        self, cluster_arn: str, namespace: str, pod_name: str, node_name: str, container: Any
    ) -> ContainerLogStream:
        logs = self._client()
        group = f"/aws/containerinsights/{cluster_name(cluster_arn)}/application"
        stream = (
            f"{node_name}-application.var.log.containers."
            f"{pod_name}_{namespace}_{container.name}-{container.container_id}.log"
        )
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        base = {
            "kubernetes": {
                "pod_name": pod_name,
                "namespace_name": namespace,
                "container_name": container.name,
                "docker_id": container.container_id,
                "container_image": container.image,
                "host": node_name,
            }
        }
        return ContainerLogStream(logs, group, stream, base)
