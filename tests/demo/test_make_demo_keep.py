"""``make demo ARGS=--keep`` leaves everything up for a person, the API behind a random token it
prints, and Ctrl-C stops it all: no process of the demo survives (the kube-apiserver, controller-manager
and etcd included, which lead their own sessions) and every port it listened on is free again."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.demo.kubeconfig import exec_token
from tests.demo.demo_process import DemoProcess
from tests.demo.processes import Process, descendants, listening_ports, port_is_free

UP_BOUND_SECONDS = 200
JOB_BOUND_SECONDS = 90
STOP_BOUND_SECONDS = 60
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@pytest.fixture(scope="module")
def kept() -> Iterator[DemoProcess]:
    # Given `make demo ARGS=--keep`, run until it says it is kept running
    process = DemoProcess("--keep")
    try:
        process.wait_for(r"^== Kept running", UP_BOUND_SECONDS)
        process.wait_for(r" kubectl +kubectl --kubeconfig ", 10)
        yield process
    finally:
        process.kill()


def test_the_kubeconfig_it_printed_reaches_the_cluster_as_the_person(kept: DemoProcess) -> None:
    # Given the kubeconfig it printed: its user is an exec user, as update-kubeconfig writes it
    path = Path(re.findall(r"--kubeconfig (\S+/kubeconfig)", kept.output)[-1])
    config = json.loads(path.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    assert set(user) == {"exec"}, user
    # When it is used as kubectl uses it (server, CA file, the exec user's token)
    answer = requests.get(
        f"{cluster['server']}/api/v1/namespaces/doeks-aws-batch",
        headers={"Authorization": f"Bearer {exec_token(path)}"},
        verify=cluster["certificate-authority"],
        timeout=10,
    )
    # Then the Batch namespace is there
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"]["phase"] == "Active"


def test_the_api_refuses_a_request_without_the_token_and_runs_a_job_with_it(kept: DemoProcess) -> None:
    url = kept.wait_for(r"API +(http://127\.0\.0\.1:\d+/\S+)$", 5).group(1)
    token = kept.wait_for(r"API token +(\S+)", 5).group(1)
    body = {"environment": "doeks-aws-batch", "jobName": "from-the-test", "command": ["echo", "served"]}
    # When a job is asked for without the token, or with another one
    # Then the API refuses it
    assert requests.post(f"{url}/jobs", json=body, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.post(f"{url}/jobs", json=body, headers=wrong, timeout=30).status_code == 401
    # When it is asked for with the token
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{url}/jobs", json=body, headers=headers, timeout=30)
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    # Then the job runs to its end, and the API reports it with its pod and its command's output
    job = _until_finished(f"{url}/jobs/{run_id}", headers)
    assert job["status"] == "SUCCEEDED", job
    assert str(job["podName"]).startswith("aws-batch."), job
    logs = requests.get(f"{url}/jobs/{run_id}/logs", params={"limit": "5"}, headers=headers, timeout=30)
    assert logs.status_code == 200, logs.text
    assert [line["message"] for line in logs.json()["lines"]] == ["served"], logs.json()


def _until_finished(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """GET the job until its status is terminal (polled; the bound only stops a hung test)."""
    deadline = time.monotonic() + JOB_BOUND_SECONDS
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = requests.get(url, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        job = answer.json()
        if job.get("status") in TERMINAL:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job not finished within {JOB_BOUND_SECONDS} s: {job}")


def test_ctrl_c_stops_every_process_and_frees_every_port(kept: DemoProcess) -> None:
    # Given every process of the demo (make, python, etcd, kube-apiserver, kube-controller-manager) and
    # the ports they listen on
    processes: list[Process] = descendants(kept.process.pid)
    ports = listening_ports(processes)
    commands = " ".join(p.command for p in processes)
    for name in ("local.demo", "etcd", "kube-apiserver", "kube-controller-manager"):
        assert name in commands, commands
    assert len(ports) >= 5, ports  # the embedded AWS, etcd (client and peer), the kube-apiserver, the API
    # When the user presses Ctrl-C
    kept.interrupt()
    kept.wait(STOP_BOUND_SECONDS)
    # Then the demo says it stopped, no process of it survives, and every port is free again
    assert "stopped: no process or port of the demo is left" in kept.output, kept.output
    survivors = [p for p in processes if p.alive()]
    assert not survivors, survivors
    busy = [port for port in ports if not port_is_free(port)]
    assert not busy, busy
