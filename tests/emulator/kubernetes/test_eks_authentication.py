"""EKS tokens against a real API server: the embedded EKS's TokenReview webhook (local/kubernetes/eks.py).

Tokens are made by the project's own ``eks_token`` (batch_on_eks.aws.eks_token), signed with the
credentials of the identity under test. Who the server says a token is comes from the server itself: a
TokenReview (its authenticators, the webhook among them) and the 403 of a real request, which names the user.
"""

from __future__ import annotations

import base64
import datetime
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.auth
import pytest
import yaml

from batch_on_eks.aws.eks_token import PREFIX, eks_token
from local.demo.kubeconfig import exec_token, write_kubeconfig
from local.demo.person import person
from local.embedded_aws.server import EmbeddedAws
from tests.emulator.kubernetes.eks_support import (
    CLUSTER_ADMIN_POLICY,
    EksCluster,
    create_eks_cluster,
    role_credentials,
    signed_as,
    unique,
)

ACCOUNT = "123456789012"
PROCESS_USER = f"arn:aws:iam::{ACCOUNT}:user/moto"  # who the embedded STS says the process's own key is


@pytest.fixture(scope="module")
def cluster(aws: EmbeddedAws, tmp_path_factory: pytest.TempPathFactory) -> EksCluster:
    return create_eks_cluster(aws, tmp_path_factory.mktemp("eks"), "doeks-auth")


@pytest.fixture(scope="module")
def process_user_entry(cluster: EksCluster) -> Iterator[None]:
    """The process's own identity has an access entry: username ops-admin, group ops."""
    eks = boto3.client("eks")
    eks.create_access_entry(
        clusterName=cluster.name, principalArn=PROCESS_USER, username="ops-admin", kubernetesGroups=["ops"]
    )
    yield
    eks.delete_access_entry(clusterName=cluster.name, principalArn=PROCESS_USER)


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Why the webhook refused tokens (it logs the reason; the server only says 401)."""
    caplog.set_level(logging.INFO, logger="local.kubernetes")
    return caplog


def _decode(token: str) -> str:
    body = token.removeprefix(PREFIX)
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def _encode(url: str) -> str:
    return PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def test_describe_cluster_answers_the_real_servers_endpoint_and_ca(cluster: EksCluster) -> None:
    # When a client reaches the endpoint DescribeCluster gave, trusting only the CA it gave
    answer = cluster.get(cluster.local.admin_token, "/readyz")
    # Then TLS verifies against that CA and the server answers
    assert cluster.endpoint == cluster.local.endpoint
    assert answer.status_code == 200


@pytest.mark.usefixtures("process_user_entry")
def test_a_token_with_an_access_entry_is_the_entrys_user(cluster: EksCluster) -> None:
    # Given an EKS token made by our adapter for this cluster, with the process's credentials
    token = eks_token(cluster.name)
    # When the server reviews it
    status = cluster.token_review(token)
    # Then it is the access entry's username and groups, with an uid as EKS forms it
    assert status["authenticated"] is True
    assert status["user"]["username"] == "ops-admin"
    assert "ops" in status["user"]["groups"]
    assert status["user"]["uid"].startswith(f"aws-iam-authenticator:{ACCOUNT}:")
    # And a real request with it is that user, refused by RBAC by name
    refused = cluster.get(token, "/api/v1/namespaces")
    assert refused.status_code == 403
    assert 'User "ops-admin" cannot list resource "namespaces"' in refused.json()["message"]


@pytest.mark.usefixtures("process_user_entry")
def test_a_token_signed_for_another_cluster_is_unauthorized(
    cluster: EksCluster, refusals: pytest.LogCaptureFixture
) -> None:
    # Given a valid token of a known caller, but for another cluster's name
    token = eks_token("doeks-other")
    # When it is used on this cluster
    answer = cluster.get(token, "/api/v1/namespaces")
    # Then the server answers 401: its signature does not hold for this cluster's name
    assert answer.status_code == 401
    assert "signature does not match" in refusals.text


@pytest.mark.usefixtures("process_user_entry")
def test_a_token_signed_over_fifteen_minutes_ago_is_unauthorized(
    cluster: EksCluster, monkeypatch: pytest.MonkeyPatch, refusals: pytest.LogCaptureFixture
) -> None:
    # Given tokens signed on a botocore clock set back 14 and then 16 minutes
    real_now = botocore.auth.get_current_datetime

    def signed_minutes_ago(minutes: int) -> str:
        with monkeypatch.context() as patch:
            patch.setattr(
                botocore.auth,
                "get_current_datetime",
                lambda: real_now() - datetime.timedelta(minutes=minutes),
            )
            return eks_token(cluster.name)

    fresh_enough, expired = signed_minutes_ago(14), signed_minutes_ago(16)
    # Then the 14-minute-old one is still accepted and the 16-minute-old one is not
    assert cluster.token_review(fresh_enough)["authenticated"] is True
    assert cluster.get(expired, "/api/v1/namespaces").status_code == 401
    assert "the token expired" in refusals.text


@pytest.mark.usefixtures("process_user_entry")
def test_a_tampered_signature_is_unauthorized(
    cluster: EksCluster, refusals: pytest.LogCaptureFixture
) -> None:
    # Given a valid token whose signature has one hex digit changed
    url = _decode(eks_token(cluster.name))
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    changed = ("0" if signature[0] != "0" else "1") + signature[1:]
    tampered = _encode(url.replace(signature, changed))
    # When it is used
    answer = cluster.get(tampered, "/api/v1/namespaces")
    # Then the server answers 401
    assert answer.status_code == 401
    assert "signature does not match" in refusals.text


def test_a_caller_without_access_entry_or_mapping_is_unauthorized(
    cluster: EksCluster, monkeypatch: pytest.MonkeyPatch, refusals: pytest.LogCaptureFixture
) -> None:
    # Given a role nothing maps, assumed through STS
    credentials = role_credentials(unique("unmapped"), "someone")
    # When its token is used
    with signed_as(monkeypatch, credentials):
        token = eks_token(cluster.name)
    # Then the server answers 401: the token is good, but the caller maps to nobody
    assert cluster.get(token, "/api/v1/namespaces").status_code == 401
    assert "no access entry or aws-auth mapping" in refusals.text


def test_a_role_with_the_cluster_admin_policy_is_in_system_masters(
    cluster: EksCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a role with an access entry (EKS's default username) and AmazonEKSClusterAdminPolicy (cluster)
    role = unique("provisioner")
    credentials = role_credentials(role, "provision")
    principal = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    eks = boto3.client("eks")
    eks.create_access_entry(clusterName=cluster.name, principalArn=principal)
    eks.associate_access_policy(
        clusterName=cluster.name,
        principalArn=principal,
        policyArn=CLUSTER_ADMIN_POLICY,
        accessScope={"type": "cluster"},
    )
    # When its token creates a namespace
    with signed_as(monkeypatch, credentials):
        token = eks_token(cluster.name)
    namespace = unique("made-by-admin")
    created = cluster.post(token, "/api/v1/namespaces", {"metadata": {"name": namespace}})
    # Then it is the assumed-role session (the {{SessionName}} default) in system:masters, and allowed
    status = cluster.token_review(token)
    assert status["user"]["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/provision"
    assert "system:masters" in status["user"]["groups"]
    assert created.status_code == 201, created.text


def _put_aws_auth(cluster: EksCluster, map_roles: list[dict[str, Any]]) -> None:
    body = {"metadata": {"name": "aws-auth"}, "data": {"mapRoles": yaml.safe_dump(map_roles)}}
    admin = cluster.admin
    if admin.get_or_none("/api/v1/namespaces/kube-system/configmaps/aws-auth") is None:
        admin.create("/api/v1/namespaces/kube-system/configmaps", body)
    else:
        admin.merge_patch("/api/v1/namespaces/kube-system/configmaps/aws-auth", body)


def test_a_role_mapped_in_aws_auth_is_the_mapped_user(
    cluster: EksCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a role mapped in aws-auth (without its path, as aws-auth needs) with a templated username
    role = unique("mapped")
    credentials = role_credentials(role, "nightly")
    mapping = {
        "rolearn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
        "username": "batch-{{SessionName}}",
        "groups": ["jobs"],
    }
    _put_aws_auth(cluster, [mapping])
    # When its token is used
    with signed_as(monkeypatch, credentials):
        token = eks_token(cluster.name)
    status = cluster.token_review(token)
    refused = cluster.get(token, "/api/v1/nodes")
    # Then it is the mapped user, with the mapped groups, refused by RBAC by name
    assert status["user"]["username"] == "batch-nightly"
    assert "jobs" in status["user"]["groups"]
    assert refused.status_code == 403
    assert 'User "batch-nightly"' in refused.json()["message"]


def test_aws_auth_maps_nobody_on_a_cluster_in_api_mode(
    aws: EmbeddedAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a cluster whose authentication mode is API only, with a role mapped in its aws-auth
    api_only = create_eks_cluster(aws, tmp_path, unique("doeks-api"), authentication_mode="API")
    role = unique("mapped")
    credentials = role_credentials(role, "session")
    _put_aws_auth(
        api_only, [{"rolearn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "username": "u", "groups": []}]
    )
    # When the role's token is used
    with signed_as(monkeypatch, credentials):
        token = eks_token(api_only.name)
    # Then aws-auth is not consulted: 401
    assert api_only.get(token, "/api/v1/namespaces").status_code == 401
    # And DeleteCluster stops its server
    boto3.client("eks").delete_cluster(name=api_only.name)
    assert aws.kubernetes is not None
    assert aws.kubernetes.cluster_by_arn(api_only.arn) is None


def test_a_person_kubeconfig_gets_in_only_with_an_access_entry(
    aws: EmbeddedAws, cluster: EksCluster, tmp_path: Path
) -> None:
    # Given a person's role, assumed into an AWS profile, and a kubeconfig like update-kubeconfig writes
    # for it: an exec user that obtains the person's EKS token (local.demo.get_token)
    someone = person(aws, tmp_path, unique("person"))
    kubeconfig = write_kubeconfig(tmp_path, cluster.arn, cluster.local, someone, aws.endpoint)
    # When the person has no access entry
    # Then the cluster answers 401 to the token kubectl would send
    assert cluster.get(exec_token(kubeconfig), "/api/v1/nodes").status_code == 401
    # When the person's role gets an access entry with the cluster-admin policy
    eks = boto3.client("eks")
    eks.create_access_entry(clusterName=cluster.name, principalArn=someone.role_arn)
    eks.associate_access_policy(
        clusterName=cluster.name,
        principalArn=someone.role_arn,
        policyArn=CLUSTER_ADMIN_POLICY,
        accessScope={"type": "cluster"},
    )
    # Then the same kubeconfig lists the nodes, as the person (a fresh token each time, as kubectl runs it)
    try:
        answer = cluster.get(exec_token(kubeconfig), "/api/v1/nodes")
        assert answer.status_code == 200, answer.text
        assert answer.json()["kind"] == "NodeList"
    finally:
        eks.delete_access_entry(clusterName=cluster.name, principalArn=someone.role_arn)
