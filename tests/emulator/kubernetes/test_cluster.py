"""local/kubernetes: a real kube-apiserver (RBAC, the token webhook) and controller-manager per cluster.

One cluster serves the module (starting one takes seconds); each test makes its own names.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.kubernetes import Identity, KubernetesCluster
from local.kubernetes.client import KubeClient, KubernetesError

BOUND = 30.0  # an upper bound on every wait, never a synchronisation
ALICE = Identity(username="alice", uid="alice-uid", groups=("developers",))


def authenticate(token: str) -> Identity | None:
    return ALICE if token == "alice-token" else None


@pytest.fixture(scope="module")
def cluster() -> Iterator[KubernetesCluster]:
    started = KubernetesCluster.start("test-cluster", authenticate)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def admin(cluster: KubernetesCluster) -> KubeClient:
    return KubeClient(cluster)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def access_review(admin: KubeClient, user: str, verb: str, resource: str, namespace: str) -> dict[str, Any]:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            "resourceAttributes": {"verb": verb, "resource": resource, "namespace": namespace},
        },
    }
    status: dict[str, Any] = admin.create("/apis/authorization.k8s.io/v1/subjectaccessreviews", review)[
        "status"
    ]
    return status


def call(cluster: KubernetesCluster, token: str, path: str) -> requests.Response:
    return requests.get(
        cluster.endpoint + path,
        headers={"Authorization": f"Bearer {token}"},
        verify=str(cluster.certificates.ca_file),
        timeout=10,
    )


def test_the_server_answers_over_tls_signed_by_the_clusters_ca(cluster: KubernetesCluster) -> None:
    # When /readyz is asked with the admin token, verifying the server against the cluster's CA PEM
    answer = call(cluster, cluster.admin_token, "/readyz")
    # Then it is ready, on loopback, and the CA handed out is the one that signed its certificate
    assert answer.status_code == 200
    assert cluster.endpoint.startswith("https://127.0.0.1:")
    assert cluster.ca_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert cluster.certificates.ca_file.read_text() == cluster.ca_pem


def test_rbac_decides_subject_access_reviews(cluster: KubernetesCluster, admin: KubeClient) -> None:
    # Given a namespace and a user with no grant in it
    namespace = unique("rbac")
    admin.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    # Then a SubjectAccessReview for that user is denied
    assert access_review(admin, "aws-batch", "create", "pods", namespace)["allowed"] is False
    # When a Role granting pod creation is bound to the user
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}
    admin.create(f"{rbac}/roles", {"metadata": {"name": "pods"}, "rules": [rule]})
    binding = {
        "metadata": {"name": "pods"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pods"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "aws-batch"}],
    }
    admin.create(f"{rbac}/rolebindings", binding)
    # Then the same review is allowed, and only for what the Role grants
    assert access_review(admin, "aws-batch", "create", "pods", namespace)["allowed"] is True
    assert access_review(admin, "aws-batch", "delete", "pods", namespace)["allowed"] is False


def test_a_token_the_webhook_knows_is_that_user_and_rbac_refuses_it_by_name(
    cluster: KubernetesCluster,
) -> None:
    # When the webhook's user lists namespaces, which nothing grants it
    answer = call(cluster, "alice-token", "/api/v1/namespaces")
    # Then the server knows who it is (its name in the refusal) and RBAC refuses it
    assert answer.status_code == 403
    assert 'User "alice" cannot list resource "namespaces"' in answer.json()["message"]


def test_a_token_nobody_knows_is_unauthorized(cluster: KubernetesCluster) -> None:
    # When a request carries a token that neither the token file nor the webhook accepts
    answer = call(cluster, "someone-else", "/api/v1/namespaces")
    # Then it is 401, not an anonymous request
    assert answer.status_code == 401


def test_the_admin_token_is_in_system_masters(cluster: KubernetesCluster, admin: KubeClient) -> None:
    # When the admin token is reviewed by the server's own authenticators
    review = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": cluster.admin_token},
    }
    status = admin.create("/apis/authentication.k8s.io/v1/tokenreviews", review)["status"]
    # Then it is authenticated in group system:masters
    assert status["authenticated"] is True
    assert "system:masters" in status["user"]["groups"]


def test_the_controller_manager_gives_namespaces_a_service_account_and_deletes_them(
    admin: KubeClient,
) -> None:
    # Given a new namespace
    namespace = unique("lifecycle")
    admin.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    # Then its default service account appears (the serviceaccount controller runs)
    deadline = time.monotonic() + BOUND
    while admin.get_or_none(f"/api/v1/namespaces/{namespace}/serviceaccounts/default") is None:
        assert time.monotonic() < deadline, "no default service account"
        time.sleep(0.1)
    # When the namespace, holding a ConfigMap, is deleted
    admin.create(
        f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": "c"}, "data": {"k": "v"}}
    )
    admin.delete(f"/api/v1/namespaces/{namespace}")
    # Then it is really gone (the namespace controller emptied and finalized it)
    while admin.get_or_none(f"/api/v1/namespaces/{namespace}") is not None:
        assert time.monotonic() < deadline, "the namespace was never deleted"
        time.sleep(0.1)


def test_maps_encode_as_json(admin: KubeClient) -> None:
    # When an object holding a map is written and read back (reflect2 1.0.1 panicked here under Go >= 1.18)
    name = unique("map")
    admin.create(
        "/api/v1/namespaces/default/configmaps", {"metadata": {"name": name}, "data": {"a": "1", "b": "2"}}
    )
    # Then the map comes back whole
    assert admin.get(f"/api/v1/namespaces/default/configmaps/{name}")["data"] == {"a": "1", "b": "2"}


def test_the_server_records_every_request_in_its_audit_log(cluster: KubernetesCluster) -> None:
    # When the webhook's user asks for a ConfigMap in kube-system (refused: nothing grants it)
    name = unique("audited")
    answer = call(cluster, "alice-token", f"/api/v1/namespaces/kube-system/configmaps/{name}")
    assert answer.status_code == 403
    # Then the server's audit log has the request: who, what verb, which object, and the answer
    records = [r for r in cluster.audit_log() if (r.get("objectRef") or {}).get("name") == name]
    assert len(records) == 1, records
    (record,) = records
    assert record["user"]["username"] == "alice"
    assert record["verb"] == "get"
    assert record["objectRef"] == {
        "resource": "configmaps",
        "namespace": "kube-system",
        "name": name,
        "apiVersion": "v1",
    }
    assert record["responseStatus"]["code"] == 403


def test_stop_leaves_no_process_behind_and_keeps_the_audit_log() -> None:
    # Given a second cluster of its own, asked for one namespace
    second = KubernetesCluster.start("short-lived", authenticate)
    pids = [child.pid for child in (second._apiserver, second._controller_manager) if child is not None]
    assert len(pids) == 2
    assert call(second, "alice-token", "/api/v1/namespaces/kept-in-the-log").status_code == 403
    # When it is stopped
    second.stop()
    # Then its processes are gone and its endpoint refuses connections
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", second.port), timeout=5).close()
    # And its audit log can still be read, with that request in it
    assert any((r.get("objectRef") or {}).get("name") == "kept-in-the-log" for r in second.audit_log())


def test_a_refused_call_says_why(admin: KubeClient) -> None:
    # When a client impersonating a user without grants lists pods
    refused = KubeClient(admin.cluster, as_user="nobody")
    # Then the error carries the status, Kubernetes' reason and message
    with pytest.raises(KubernetesError) as raised:
        refused.get("/api/v1/namespaces/default/pods")
    assert raised.value.status == 403
    assert raised.value.reason == "Forbidden"
    assert 'User "nobody"' in raised.value.message
