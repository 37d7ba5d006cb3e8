"""Credentials inside a job's sandbox (local/dataplane/pod_identity.py, served by the sandbox's network
launcher): the EKS Pod Identity agent at 169.254.170.23 answers the pod's association role to a request
carrying the pod's token, and the node's instance metadata service at 169.254.169.254 answers IMDSv2 only
where the node's hop limit lets its answer reach the pod (on the host network, or a hop limit of 2 or more).
Real bubblewrap, real HTTP from inside the sandbox."""

from __future__ import annotations

import shutil

import pytest

from local.dataplane.pod_identity import Credentials, PodCredentials
from local.dataplane.sandbox import Sandbox

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bwrap missing")

# What a job does: the SDK's container provider (the token file's content as Authorization), then IMDSv2.
ASK = r"""
import json, os, urllib.request
def get(url, headers=None, method="GET"):
    try:
        request = urllib.request.Request(url, headers=headers or {}, method=method)
        with urllib.request.urlopen(request, timeout=3) as r:
            return r.read().decode()
    except Exception as error:
        return f"ERROR {type(error).__name__}"
uri = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
if uri:
    token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read().strip()
    answer = get(uri, {"Authorization": token})
    print("pod-identity", json.loads(answer)["AccessKeyId"] if answer.startswith("{") else answer)
    print("pod-identity-wrong-token", get(uri, {"Authorization": "not-the-token"}))
else:
    print("pod-identity none")
imds = get("http://169.254.169.254/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"}, "PUT")
if imds.startswith("ERROR"):
    print("imds", imds)
else:
    base = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    role = get(base, {"X-aws-ec2-metadata-token": imds})
    creds = get(base + role, {"X-aws-ec2-metadata-token": imds})
    print("imds", json.loads(creds)["AccessKeyId"])
    print("imds-v1", get(base + role))
"""

JOB = Credentials("ASIAJOBROLE", "job-secret", "job-session", "2026-12-06T23:00:00Z")
NODE = Credentials("ASIANODEROLE", "node-secret", "node-session", "2026-12-06T23:00:00Z")


def _lines(credentials: PodCredentials | None) -> dict[str, str]:
    result = Sandbox(time_limit_seconds=30).run(["python3", "-c", ASK], identity=credentials)
    assert result.exit_code == 0, result.lines
    return dict(line.split(" ", 1) for _, line in result.lines)


@needs_bwrap
def test_off_the_host_network_a_job_gets_its_pod_identity_and_nothing_of_the_node() -> None:
    # Given a pod whose service account has the job role, on a node whose hop limit is 1
    credentials = PodCredentials(
        pod_identity=JOB, token="pod-token", node=None, node_role="BatchInstanceRole"
    )
    # When the job asks both
    lines = _lines(credentials)
    # Then the agent answers the job role's credentials, and only to the pod's token
    assert lines["pod-identity"] == "ASIAJOBROLE"
    assert lines["pod-identity-wrong-token"].startswith("ERROR")
    # And the metadata service answers nothing
    assert lines["imds"].startswith("ERROR")


@needs_bwrap
def test_on_the_host_network_imdsv2_gives_the_nodes_role_and_v1_is_refused() -> None:
    # Given a pod on the host network without a pod identity
    credentials = PodCredentials(pod_identity=None, token="", node=NODE, node_role="BatchInstanceRole")
    lines = _lines(credentials)
    # Then IMDSv2 gives the node's role, IMDSv1 (no token) gets 401, and there is no agent to ask
    assert lines["imds"] == "ASIANODEROLE"
    assert lines["imds-v1"].startswith("ERROR HTTPError")
    assert lines["pod-identity"] == "none"


@needs_bwrap
def test_without_credentials_nothing_answers() -> None:
    lines = _lines(None)
    assert lines["pod-identity"] == "none"
    assert lines["imds"].startswith("ERROR")
