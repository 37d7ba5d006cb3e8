"""The emulated Fluent Bit's writer (local/dataplane/container_logs.py) as the data plane uses it: from the
threads of jobs that start at once."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.dataplane.container_logs import ContainerLogWriter
from local.embedded_aws.server import EmbeddedAws

REGION = "us-east-1"
CLUSTER = f"arn:aws:eks:{REGION}:123456789012:cluster/doeks-aws-batch"


class Container:
    def __init__(self, name: str):
        self.name, self.container_id, self.image = name, f"id-{name}", "public.ecr.aws/docker/library/busybox"


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws() as embedded:
        yield embedded


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Threads take turns as often as the interpreter allows: what a loaded machine does now and then,
    every time."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@pytest.mark.parametrize("attempt", range(10))
@pytest.mark.usefixtures("fast_switching")
def test_jobs_starting_at_once_each_get_their_stream(
    aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch, attempt: int
) -> None:
    # Given a process whose boto3 has not used CloudWatch Logs yet (the demo's, when its two jobs start):
    # a new default session, so its client builds its exception classes on first use
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    # and threads that take turns as often as the interpreter allows (fast_switching)
    writer = ContainerLogWriter(REGION)
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def first_line(index: int) -> None:
        start.wait()
        try:
            stream: Any = writer.writer(CLUSTER, "jobs", f"pod-{attempt}-{index}", "node-1", Container("app"))
            stream.write(0, "Hello World!")
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    # When eight jobs' containers ship their first line at the same moment, into the same log group
    threads = [threading.Thread(target=first_line, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # Then none of them fails: the group that another job created first is theirs too
    assert failures == []
    streams = boto3.client("logs", region_name=REGION).describe_log_streams(
        logGroupName="/aws/containerinsights/doeks-aws-batch/application",
        logStreamNamePrefix=f"node-1-application.var.log.containers.pod-{attempt}-",
    )["logStreams"]
    assert len(streams) == 8
