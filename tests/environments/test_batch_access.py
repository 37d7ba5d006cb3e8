"""Provisioning's Kubernetes step: AWS Batch's namespace, RBAC and aws-auth entries, written to a real
kube-apiserver with RBAC (``local.kubernetes``): a SubjectAccessReview, answered by the server's own
authorizer, is the proof of what the user ``aws-batch`` may do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from batch_on_eks.aws.kubernetes import KubernetesApi, resource_path
from batch_on_eks.environments.aws_auth import parse_map_roles
from batch_on_eks.environments.batch_access import (
    CLUSTER_ROLE,
    NAMESPACE_ROLE,
    NAMESPACE_ROLE_BINDING,
    grant_batch_access,
    revoke_batch_access,
)
from batch_on_eks.errors import KubernetesApiError
from tests.aws.kubernetes_support import ADMIN_TOKEN, b64, kubernetes_cluster
from tests.unit.environments.aws_auth_support import (
    ACCOUNT,
    INSTANCE_ROLE,
    INSTANCE_ROLE_ENTRY,
    NODE_GROUP_ENTRY,
    NODE_GROUP_TEXT,
    SERVICE_ROLE_ENTRY,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with kubernetes_cluster("batch-access") as started:
        yield started


@pytest.fixture(scope="module")
def api(cluster: Any) -> KubernetesApi:
    return KubernetesApi(cluster.endpoint, b64(cluster.ca_pem), token=lambda: ADMIN_TOKEN)


@pytest.fixture
def clean(api: KubernetesApi) -> Iterator[None]:
    """Each test starts from a cluster without aws-auth or our cluster-wide objects, and leaves none."""
    _reset(api)
    yield
    _reset(api)


def test_batch_may_run_pods_in_its_namespace_and_read_the_cluster_only(
    api: KubernetesApi, clean: None
) -> None:
    # Given a cluster where the node group's mapping is already in aws-auth
    _put_aws_auth(api, NODE_GROUP_TEXT)
    # When Batch is given access
    record = grant_batch_access(api, "doeks-aws-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    # Then the server's own authorizer lets aws-batch create, watch and delete pods in the namespace
    for verb in ("create", "watch", "delete", "get", "list", "patch"):
        assert _allowed(api, verb, "pods", "doeks-aws-batch"), verb
    # And list nodes cluster-wide, but not create pods in default, nor delete namespaces, nor read secrets
    assert _allowed(api, "list", "nodes")
    assert _allowed(api, "list", "daemonsets", group="apps")
    assert not _allowed(api, "create", "pods", "default")
    assert not _allowed(api, "delete", "namespaces")
    assert not _allowed(api, "get", "secrets", "doeks-aws-batch")
    # And aws-auth keeps the node group's entry (text included) and gains exactly ours
    map_roles = _aws_auth(api)["data"]["mapRoles"]
    assert map_roles.startswith(NODE_GROUP_TEXT)
    assert parse_map_roles(map_roles) == [NODE_GROUP_ENTRY, SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]
    # And the record says we created every object, and which aws-auth entries we added
    assert [(o["kind"], o["created"]) for o in record["objects"]] == [
        ("Namespace", True),
        ("ServiceAccount", True),
        ("ClusterRole", True),
        ("ClusterRoleBinding", True),
        ("Role", True),
        ("RoleBinding", True),
    ]
    assert record["awsAuth"]["configMapCreated"] is False
    assert record["awsAuth"]["addedMapRoles"] == [SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]


class RecordingApi(KubernetesApi):
    """A client that records each call: method, path and the answer's status."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, str, int]] = []

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = super().request(method, path, body)
        except KubernetesApiError as error:
            self.calls.append((method, path, error.status))
            raise
        self.calls.append((method, path, 200))
        return answer


def test_a_second_apply_changes_nothing(cluster: Any, api: KubernetesApi, clean: None) -> None:
    # Given Batch was given access once
    _put_aws_auth(api, NODE_GROUP_TEXT)
    first = grant_batch_access(api, "doeks-aws-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    versions = _resource_versions(api, "doeks-aws-batch")
    # When it is given access again, through a client that records every call's outcome
    recording = RecordingApi(cluster.endpoint, b64(cluster.ca_pem), token=lambda: ADMIN_TOKEN)
    second = grant_batch_access(recording, "doeks-aws-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    # Then nothing was written: no replace or delete was sent, every create was refused as existing,
    # the resourceVersions are the same, and so is the record
    assert {method for method, _, _ in recording.calls} <= {"GET", "POST"}
    assert {status for method, _, status in recording.calls if method == "POST"} == {409}
    assert _resource_versions(api, "doeks-aws-batch") == versions
    assert second == first


def test_revoke_removes_exactly_what_was_written(api: KubernetesApi, clean: None) -> None:
    # Given a namespace that existed before, the node group's aws-auth entry, and access granted
    _put_aws_auth(api, NODE_GROUP_TEXT)
    api.create(resource_path("v1", "namespaces"), _namespace("team-batch"))
    record = grant_batch_access(api, "team-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    assert record["objects"][0] == {**record["objects"][0], "kind": "Namespace", "created": False}
    # When access is revoked
    revoke_batch_access(api, record)
    # Then the pre-existing namespace and aws-auth entry stay, the aws-auth text as it was before
    assert api.get(resource_path("v1", "namespaces", "team-batch")) is not None
    assert _aws_auth(api)["data"]["mapRoles"] == NODE_GROUP_TEXT
    assert "batch-on-eks/added-map-roles" not in (_aws_auth(api)["metadata"].get("annotations") or {})
    # And every RBAC object we created is gone, and aws-batch may do nothing any more
    for kind in record["objects"][1:]:
        assert api.get(_object_path(kind)) is None, kind
    assert not _allowed(api, "create", "pods", "team-batch")
    assert not _allowed(api, "list", "nodes")
    # And revoking again is still success (everything already gone)
    revoke_batch_access(api, record)
    _delete_namespace(api, "team-batch")


def test_revoke_deletes_the_namespace_and_aws_auth_it_created(api: KubernetesApi, clean: None) -> None:
    # Given a cluster without aws-auth, and access granted
    record = grant_batch_access(api, "doeks-created", ACCOUNT, "aws", INSTANCE_ROLE)
    assert record["awsAuth"]["configMapCreated"] is True
    assert parse_map_roles(_aws_auth(api)["data"]["mapRoles"]) == [SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]
    # When access is revoked
    revoke_batch_access(api, record)
    # Then aws-auth, which only held our entries, is gone, and the namespace goes (or is terminating)
    assert api.get(resource_path("v1", "configmaps", "aws-auth", "kube-system")) is None
    namespace = api.get(resource_path("v1", "namespaces", "doeks-created"))
    assert namespace is None or namespace["metadata"].get("deletionTimestamp")


def test_entries_added_to_aws_auth_after_us_survive_revoke(api: KubernetesApi, clean: None) -> None:
    # Given access granted on a cluster without aws-auth (so we created it)
    record = grant_batch_access(api, "doeks-aws-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    # And the node group's entry added after ours
    config_map = _aws_auth(api)
    config_map["data"]["mapRoles"] += NODE_GROUP_TEXT
    api.replace(resource_path("v1", "configmaps", "aws-auth", "kube-system"), config_map)
    # When access is revoked
    revoke_batch_access(api, record)
    # Then aws-auth stays, with the node group's entry only
    assert parse_map_roles(_aws_auth(api)["data"]["mapRoles"]) == [NODE_GROUP_ENTRY]


def test_a_non_default_namespace_really_flows(api: KubernetesApi, clean: None) -> None:
    # When access is granted in another namespace
    record = grant_batch_access(api, "analytics-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    # Then the Role and its binding are in that namespace, and none in the default one
    role_path = resource_path(f"{_RBAC}/v1", "roles", NAMESPACE_ROLE, "analytics-batch")
    binding_path = resource_path(f"{_RBAC}/v1", "rolebindings", NAMESPACE_ROLE_BINDING, "analytics-batch")
    assert api.get(role_path) is not None
    assert api.get(binding_path) is not None
    assert api.get(resource_path(f"{_RBAC}/v1", "roles", NAMESPACE_ROLE, "doeks-aws-batch")) is None
    assert record["namespace"] == "analytics-batch"
    assert {o.get("namespace") for o in record["objects"] if o["kind"] in ("Role", "RoleBinding")} == {
        "analytics-batch"
    }
    # And aws-batch may run pods there, and not in doeks-aws-batch
    assert _allowed(api, "create", "pods", "analytics-batch")
    assert not _allowed(api, "create", "pods", "doeks-aws-batch")
    revoke_batch_access(api, record)


def test_a_pre_existing_cluster_role_is_brought_up_to_date_and_left_at_revoke(
    api: KubernetesApi, clean: None
) -> None:
    # Given a ClusterRole of our name that someone made with fewer rules
    path = resource_path(f"{_RBAC}/v1", "clusterroles", CLUSTER_ROLE)
    api.create(
        resource_path(f"{_RBAC}/v1", "clusterroles"),
        {
            "apiVersion": f"{_RBAC}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE, "labels": {"owner": "someone"}},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}],
        },
    )
    # When access is granted
    record = grant_batch_access(api, "doeks-aws-batch", ACCOUNT, "aws", INSTANCE_ROLE)
    # Then it has our rules, keeps its labels, and the record says it was only updated
    found = api.get(path)
    assert found is not None
    assert len(found["rules"]) == 4
    assert found["metadata"]["labels"] == {"owner": "someone"}
    assert [o["created"] for o in record["objects"] if o["kind"] == "ClusterRole"] == [False]
    # And revoke leaves it
    revoke_batch_access(api, record)
    assert api.get(path) is not None


# --- helpers -----------------------------------------------------------------------------------------

_RBAC = "rbac.authorization.k8s.io"
_KIND_PATHS = {
    "Namespace": ("v1", "namespaces"),
    "ServiceAccount": ("v1", "serviceaccounts"),
    "ClusterRole": (f"{_RBAC}/v1", "clusterroles"),
    "ClusterRoleBinding": (f"{_RBAC}/v1", "clusterrolebindings"),
    "Role": (f"{_RBAC}/v1", "roles"),
    "RoleBinding": (f"{_RBAC}/v1", "rolebindings"),
}


def _object_path(entry: dict[str, Any]) -> str:
    group_version, plural = _KIND_PATHS[entry["kind"]]
    return resource_path(group_version, plural, entry["name"], entry.get("namespace"))


def _allowed(api: KubernetesApi, verb: str, resource: str, namespace: str = "", group: str = "") -> bool:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": "aws-batch",
            "resourceAttributes": {
                "verb": verb,
                "resource": resource,
                "namespace": namespace,
                "group": group,
            },
        },
    }
    answer = api.create("/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
    return bool(answer["status"].get("allowed"))


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _aws_auth(api: KubernetesApi) -> dict[str, Any]:
    found = api.get(resource_path("v1", "configmaps", "aws-auth", "kube-system"))
    assert found is not None
    return found


def _put_aws_auth(api: KubernetesApi, map_roles: str) -> None:
    api.create(
        resource_path("v1", "configmaps", namespace="kube-system"),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "aws-auth", "namespace": "kube-system"},
            "data": {"mapRoles": map_roles},
        },
    )


def _resource_versions(api: KubernetesApi, namespace: str) -> dict[str, str]:
    paths = [
        resource_path("v1", "namespaces", namespace),
        resource_path(f"{_RBAC}/v1", "clusterroles", CLUSTER_ROLE),
        resource_path(f"{_RBAC}/v1", "clusterrolebindings", "aws-batch-cluster-role-binding"),
        resource_path(f"{_RBAC}/v1", "roles", NAMESPACE_ROLE, namespace),
        resource_path(f"{_RBAC}/v1", "rolebindings", NAMESPACE_ROLE_BINDING, namespace),
        resource_path("v1", "configmaps", "aws-auth", "kube-system"),
    ]
    versions = {}
    for path in paths:
        found = api.get(path)
        assert found is not None, path
        versions[path] = found["metadata"]["resourceVersion"]
    return versions


def _reset(api: KubernetesApi) -> None:
    """No aws-auth and none of our cluster-wide objects; namespaces are deleted and awaited."""
    api.delete(resource_path("v1", "configmaps", "aws-auth", "kube-system"))
    api.delete(resource_path(f"{_RBAC}/v1", "clusterroles", CLUSTER_ROLE))
    api.delete(resource_path(f"{_RBAC}/v1", "clusterrolebindings", "aws-batch-cluster-role-binding"))
    for namespace in ("doeks-aws-batch", "team-batch", "doeks-created", "analytics-batch"):
        _delete_namespace(api, namespace)


def _delete_namespace(api: KubernetesApi, name: str) -> None:
    """Delete and wait until it is gone (the controller-manager empties and finalizes it)."""
    path = resource_path("v1", "namespaces", name)
    api.delete(path)
    deadline = time.monotonic() + 60
    while api.get(path) is not None:
        assert time.monotonic() < deadline, f"namespace {name} still there after 60 s"
        time.sleep(0.2)
