"""The acceptance command for a real account (scripts/aws_acceptance.py, ``make aws-acceptance``): without its
confirmation flag it prints the hourly cost and refuses before any request; with it, run as a user would run
it (a separate process, the caller's own credentials, the stack's name), it plays the whole walkthrough
against the embedded AWS and passes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from local.demo.person import person
from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, REPO_ROOT, TODAY

SCRIPT = REPO_ROOT / "scripts" / "aws_acceptance.py"
FLAG = "--confirm-billable-resources"


def _command(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    environment = {**env, "PYTHONPATH": f"{REPO_ROOT / 'layers' / 'common'}{os.pathsep}{REPO_ROOT}"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class _Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def _record(self) -> None:
        type(self).requests.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_PUT = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_endpoint() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()


def test_without_the_flag_it_prints_the_cost_and_touches_no_endpoint(
    fake_endpoint: tuple[str, list[str]],
) -> None:
    # Given every AWS endpoint (and the metadata service's credentials) pointed at a server that records
    endpoint, requests = fake_endpoint
    env = {
        "PATH": os.environ["PATH"],
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example",
    }
    # When the command is run without the confirmation flag
    done = _command("--stack", "batch-on-eks", env=env, timeout=60)
    # Then it refuses, naming the flag, after printing the hourly cost of what it would create
    assert done.returncode == 2, done.stderr
    assert FLAG in done.stderr
    assert "$0.29/h" in done.stdout
    # And the endpoint got no request at all
    assert requests == []


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as embedded:
        yield embedded


def test_the_walkthrough_passes_against_the_embedded_aws(aws: EmbeddedAws, tmp_path: Path) -> None:
    # Given the stack deployed (DescribeStacks answers its outputs), and a person who assumed an IAM role
    # (their own credentials, nothing else)
    aws.deploy()
    walker = person(aws, tmp_path / "person", "acceptance-walker")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_REGION": "us-east-1",
        "AWS_SHARED_CREDENTIALS_FILE": str(walker.credentials_file),
        "AWS_PROFILE": walker.profile,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
    }
    # When they run the acceptance command with the flag, as any user would
    done = _command(
        "--stack",
        "batch-on-eks",
        FLAG,
        "--poll-seconds",
        "0.2",
        "--bound-minutes",
        "5",
        "--workflow-poll-seconds",
        "0",
        env=env,
        timeout=600,
    )
    # Then it passes, having played every step of the walkthrough as that person
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"cluster admin: {walker.role_arn}" in out
    assert "provision: SUCCEEDED" in out
    assert "update-kubeconfig:" in out
    assert "get nodes" in out or "GET /api/v1/nodes" in out
    for queue in ("onDemand", "spot"):
        assert f"{queue}: 'Hello World!' read back from CloudWatch Logs" in out
    assert "teardown: SUCCEEDED" in out
    assert "left of doeks-aws-batch-acceptance: nothing" in out
