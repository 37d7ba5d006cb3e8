"""Container logs as Container Insights' Fluent Bit ships them from an EKS node to CloudWatch Logs.

Fluent Bit tails ``/var/log/containers/<podName>_<namespace>_<container>-<containerID>.log`` on the node and
ships each line as a JSON record whose ``log`` field is the line the container printed, where the
CloudWatch observability add-on's pipeline (``containerLogs.fluentBit.config.extraFiles``'s
``application-log.conf`` in its configuration, else the add-on's default, the same) says: group
``/aws/containerinsights/${CLUSTER_NAME}/application``, stream ``${HOST_NAME}-`` + the file's tag
(``application.var.log.containers.<file>``). The emulated Fluent Bit reads that pipeline from the add-on's
configuration (its tail input's Tag, its cloudwatch_logs output's log_group_name and log_stream_prefix or
log_stream_name), so a configuration that changes it changes where the lines go.

It ships only what a real one could: with the add-on installed, nothing when ``containerLogs`` is off, and
nothing when the node cannot resolve (DNS to CoreDNS) or reach (HTTPS out) the CloudWatch Logs endpoint
(:class:`local.dataplane.network.NodeReach`); the lines are lost, as on AWS. A cluster without the add-on
still gets its containers' lines, in the default pipeline's place: a leniency of the emulator (no Fluent Bit
runs there on AWS) that the tests of clusters made without add-ons rely on (docs/architecture.md).

(This is AWS's side of the naming; the control plane finds streams by prefix, it does not share this code.)
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from local.dataplane.network import NodeReach

# The add-on's application-log.conf as its Helm chart (aws-observability/helm-charts,
# charts/amazon-cloudwatch-observability) writes it, the parts that place the lines.
DEFAULT_APPLICATION_LOG_CONF = """
[INPUT]
    Name                tail
    Tag                 application.*
    Path                /var/log/containers/*.log
[OUTPUT]
    Name                cloudwatch_logs
    Match               application.*
    log_group_name      /aws/containerinsights/${CLUSTER_NAME}/application
    log_stream_prefix   ${HOST_NAME}-
"""


def cluster_name(cluster_arn: str) -> str:
    return cluster_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Pipeline:
    """Where a Fluent Bit configuration sends containers' lines: its tail input's tag and its CloudWatch
    output's group and stream (a prefix before the tag, or a fixed name)."""

    tag: str
    group: str
    stream_prefix: str | None
    stream_name: str | None

    def place(self, variables: dict[str, str], file_name: str) -> tuple[str, str]:
        """(group, stream) for the container log file ``file_name``."""

        def filled(text: str) -> str:
            return re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), m.group(0)), text)

        tag = self.tag.replace("*", f"var.log.containers.{file_name}")
        stream = filled(self.stream_name) if self.stream_name else filled(self.stream_prefix or "") + tag
        return filled(self.group), stream


def _sections(conf: str) -> list[dict[str, str]]:
    sections: list[dict[str, str]] = []
    for line in conf.splitlines():
        text = line.strip()
        if text.startswith("[") and text.endswith("]"):
            sections.append({"": text[1:-1].upper()})
        elif text and not text.startswith("#") and sections:
            key, _, value = text.partition(" ")
            sections[-1][key.lower()] = value.strip()
    return sections


def pipeline(conf: str) -> Pipeline | None:
    """The container-log pipeline of an application-log.conf; None when it ships them nowhere."""
    sections = _sections(conf)
    tail = next((s for s in sections if s[""] == "INPUT" and s.get("name") == "tail"), None)
    if tail is None or "tag" not in tail:
        return None
    output = next(
        (
            s
            for s in sections
            if s[""] == "OUTPUT" and s.get("name") == "cloudwatch_logs" and s.get("match") == tail["tag"]
        ),
        None,
    )
    if output is None or "log_group_name" not in output:
        return None
    return Pipeline(
        tail["tag"], output["log_group_name"], output.get("log_stream_prefix"), output.get("log_stream_name")
    )


def addon_pipeline(configuration_values: str) -> Pipeline | None:
    """The pipeline the CloudWatch observability add-on runs with these configurationValues."""
    config = json.loads(configuration_values) if configuration_values else {}
    logs = config.get("containerLogs") or {}
    if not logs.get("enabled", True):
        return None
    extra = ((logs.get("fluentBit") or {}).get("config") or {}).get("extraFiles") or {}
    return pipeline(extra.get("application-log.conf") or DEFAULT_APPLICATION_LOG_CONF)


class DiscardedLogStream:
    """A container whose lines no Fluent Bit ships: they are lost."""

    group: str | None = None
    stream: str | None = None

    def write(self, timestamp_ms: int, line: str) -> None:
        """Nothing reaches CloudWatch."""

    def close(self) -> None:
        """Nothing was opened."""


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
        self,
        cluster_arn: str,
        namespace: str,
        pod_name: str,
        node_name: str,
        container: Any,
        reach: NodeReach | None = None,
    ) -> ContainerLogStream | DiscardedLogStream:
        """Where the node's Fluent Bit ships the container's lines (``reach``: what the node reaches; None,
        not evaluated); a discarding stream when it ships none."""
        config = reach.observability_config if reach is not None else None
        found = addon_pipeline(config) if config is not None else pipeline(DEFAULT_APPLICATION_LOG_CONF)
        if found is None or (
            reach is not None and config is not None and not (reach.resolves and reach.https_out)
        ):
            return DiscardedLogStream()
        variables = {
            "CLUSTER_NAME": cluster_name(cluster_arn),
            "HOST_NAME": node_name,
            "AWS_REGION": self.region,
        }
        group, stream = found.place(
            variables, f"{pod_name}_{namespace}_{container.name}-{container.container_id}.log"
        )
        logs = self._client()
        # By its code, not by `logs.exceptions`' class: botocore builds a client's exception classes on first
        # use, not thread-safely, so jobs starting at once could each build their own, and one's except clause
        # would miss the class another's call raised.
        try:
            logs.create_log_group(logGroupName=group)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
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
