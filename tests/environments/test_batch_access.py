"""Provisioning's Kubernetes step: AWS Batch's namespace, RBAC and aws-auth entries.

The aws-auth edits are pure functions of the mapRoles text, tested as such. Everything else runs against
a real kube-apiserver with RBAC (``local.kubernetes``): a SubjectAccessReview, answered by the server's
own authorizer, is the proof of what the user ``aws-batch`` may do.
"""

from __future__ import annotations

import base64
import http.server
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from batch_on_eks.aws.kubernetes import MAX_ATTEMPTS, KubernetesApi, resource_path
from batch_on_eks.environments.aws_auth import (
    RoleMapping,
    add_mappings,
    batch_mappings,
    parse_map_roles,
    remove_mappings,
    role_arn_without_path,
)
from batch_on_eks.environments.batch_access import (
    CLUSTER_ROLE,
    NAMESPACE_ROLE,
    NAMESPACE_ROLE_BINDING,
    grant_batch_access,
    revoke_batch_access,
)
from batch_on_eks.errors import AwsAuthConflict, InvalidInput, KubernetesApiError, KubernetesUnreachable
from tests.conftest import REPO_ROOT

ACCOUNT = "123456789012"
INSTANCE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch/doeks-aws-batch-instance"
SERVICE_ROLE_ENTRY = {
    "rolearn": f"arn:aws:iam::{ACCOUNT}:role/AWSServiceRoleForBatch",
    "username": "aws-batch",
}
INSTANCE_ROLE_ENTRY = {
    "rolearn": f"arn:aws:iam::{ACCOUNT}:role/doeks-aws-batch-instance",
    "username": "system:node:{{EC2PrivateDNSName}}",
    "groups": ["system:bootstrappers", "system:nodes"],
}
NODE_GROUP_TEXT = """\
# the managed node group's own mapping (EKS wrote it)
- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: arn:aws:iam::123456789012:role/doeks-node-group
  username: system:node:{{EC2PrivateDNSName}}
"""
NODE_GROUP_ENTRY = yaml.safe_load(NODE_GROUP_TEXT)[0]
OURS = batch_mappings(ACCOUNT, "aws", INSTANCE_ROLE)


# --- aws-auth's mapRoles, pure -----------------------------------------------------------------------


def test_the_batch_entries_strip_role_paths_and_follow_the_partition() -> None:
    # When the entries are made for an instance role with a path, in the China partition
    mappings = batch_mappings(ACCOUNT, "aws-cn", "arn:aws-cn:iam::123456789012:role/a/b/instance")
    # Then both ARNs carry no path, and the service-linked role is in the same partition
    assert [m.as_dict() for m in mappings] == [
        {"rolearn": "arn:aws-cn:iam::123456789012:role/AWSServiceRoleForBatch", "username": "aws-batch"},
        {**INSTANCE_ROLE_ENTRY, "rolearn": "arn:aws-cn:iam::123456789012:role/instance"},
    ]
    assert role_arn_without_path("arn:aws:iam::1:role/Plain") == "arn:aws:iam::1:role/Plain"
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        role_arn_without_path("arn:aws:iam::1:user/someone")


def test_adding_keeps_the_foreign_entries_text_and_appends_ours() -> None:
    # Given aws-auth with the node group's entry (and a comment)
    # When our entries are added
    text, added = add_mappings(NODE_GROUP_TEXT, OURS)
    # Then the existing text is kept byte for byte, ours follow it, in order
    assert text is not None
    assert text.startswith(NODE_GROUP_TEXT)
    assert parse_map_roles(text) == [NODE_GROUP_ENTRY, SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]
    assert added == list(OURS)


def test_adding_twice_changes_nothing_and_never_duplicates() -> None:
    # Given aws-auth that already has our entries
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    # When they are added again
    again, added = add_mappings(text, OURS)
    # Then there is nothing to write
    assert (again, added) == (None, [])


def test_an_equal_foreign_entry_is_not_added_again_nor_claimed() -> None:
    # Given someone already mapped the instance role the same way (groups in another order)
    foreign = NODE_GROUP_TEXT + (
        "- rolearn: arn:aws:iam::123456789012:role/doeks-aws-batch-instance\n"
        "  username: system:node:{{EC2PrivateDNSName}}\n"
        "  groups: [system:nodes, system:bootstrappers]\n"
    )
    # When our entries are added
    text, added = add_mappings(foreign, OURS)
    # Then only the service role is added: the instance role entry is theirs, not ours
    assert added == [OURS[0]]
    assert text is not None
    assert len(parse_map_roles(text)) == 3


def test_a_role_mapped_differently_is_a_conflict_for_a_person() -> None:
    # Given the Batch service role mapped to another user
    clash = "- rolearn: arn:aws:iam::123456789012:role/AWSServiceRoleForBatch\n  username: someone\n"
    # When our entries are added, then that is refused, naming the role
    with pytest.raises(AwsAuthConflict, match="AWSServiceRoleForBatch"):
        add_mappings(clash, OURS)


@pytest.mark.parametrize("existing", [None, "", "   \n", "[]"])
def test_adding_to_an_empty_mapping_writes_only_ours(existing: str | None) -> None:
    # Given aws-auth with no mapRoles, or an empty one
    # When our entries are added
    text, added = add_mappings(existing, OURS)
    # Then mapRoles is exactly ours
    assert text is not None
    assert parse_map_roles(text) == [SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]
    assert added == list(OURS)


def test_a_flow_style_list_is_rewritten_with_its_entries_in_order() -> None:
    # Given mapRoles written as a flow list (text cannot simply be appended to it)
    flow = '[{"rolearn": "arn:aws:iam::123456789012:role/other", "username": "other", "groups": ["g"]}]'
    # When our entries are added
    text, _ = add_mappings(flow, OURS)
    # Then the foreign entry is still first, unchanged
    assert text is not None
    assert parse_map_roles(text)[0] == yaml.safe_load(flow)[0]
    assert parse_map_roles(text)[1:] == [SERVICE_ROLE_ENTRY, INSTANCE_ROLE_ENTRY]


def test_removing_takes_out_only_ours_and_keeps_the_order_of_the_rest() -> None:
    # Given foreign entries before and after ours
    later = {"rolearn": "arn:aws:iam::123456789012:role/later", "username": "later", "groups": ["x"]}
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    assert text is not None
    text += yaml.safe_dump([later])
    # When ours are removed
    removed = remove_mappings(text, OURS)
    # Then the foreign entries remain, in their order
    assert removed is not None
    assert parse_map_roles(removed) == [NODE_GROUP_ENTRY, later]
    # And removing again finds nothing to do
    assert remove_mappings(removed, OURS) is None


def test_removing_what_was_just_added_gives_back_the_text_as_it_was() -> None:
    # Given ours appended to the node group's entry (with its comment)
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    # When ours are removed
    removed = remove_mappings(text, OURS)
    # Then the text is the one from before, byte for byte
    assert removed == NODE_GROUP_TEXT


def test_removing_leaves_an_identical_entry_someone_else_added_later() -> None:
    # Given ours, and then someone adding the very same service role entry
    text, _ = add_mappings(NODE_GROUP_TEXT, OURS)
    assert text is not None
    text += yaml.safe_dump([SERVICE_ROLE_ENTRY])
    # When ours are removed
    removed = remove_mappings(text, OURS)
    # Then one copy of the service role entry stays: theirs
    assert removed is not None
    assert parse_map_roles(removed) == [NODE_GROUP_ENTRY, SERVICE_ROLE_ENTRY]


def test_mapping_round_trips_through_the_record() -> None:
    # When a mapping is written as a record entry and read back, then it is the same mapping
    for mapping in OURS:
        assert RoleMapping.from_dict(mapping.as_dict()) == mapping


@pytest.mark.parametrize(
    "namespace", ["", "Upper", "-leading", "trailing-", "under_score", "a" * 64, "kube-batch", "dots.no"]
)
def test_a_bad_namespace_is_invalid_input_naming_the_field(namespace: str) -> None:
    # When access is granted in a namespace that is not an RFC 1123 label (the API is never reached)
    api = KubernetesApi("https://127.0.0.1:1", _b64(_another_ca_pem()), token=lambda: "t")
    with pytest.raises(InvalidInput) as raised:
        grant_batch_access(api, namespace, ACCOUNT, "aws", INSTANCE_ROLE)
    # Then the error names the namespace field
    assert raised.value.problems[0]["field"] == "namespace"


def test_the_kubernetes_modules_do_not_import_yaml_until_aws_auth_is_parsed() -> None:
    # Given a fresh process with the layer on its path
    probe = (
        "import sys; import batch_on_eks.aws.kubernetes, batch_on_eks.environments.batch_access; "
        "print('yaml' in sys.modules)"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "layers" / "common")}
    # When the client and the logic are imported
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Then PyYAML is not loaded
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# --- the client's retries, against a scripted HTTPS server -------------------------------------------

DROP = 0  # a scripted "status" that closes the connection without an answer


@dataclass
class ScriptedServer:
    """An HTTPS server (certificate from its own CA, for 127.0.0.1) that answers from a script."""

    endpoint: str
    ca_pem: str
    script: list[int] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Authorization


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    ca_pem, cert_pem, key_pem = _server_certificate()
    directory = tempfile.mkdtemp()
    cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_file, "w") as out:
        out.write(cert_pem)
    with open(key_file, "w") as out:
        out.write(key_pem)
    state = ScriptedServer("", ca_pem)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            state.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
            status = state.script.pop(0) if state.script else 200
            if status == DROP:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = json.dumps(
                {"kind": "Status", "code": status, "reason": "Scripted", "message": f"scripted {status}"}
                if status >= 400
                else {"kind": "Thing", "metadata": {"name": "x"}}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.endpoint = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _scripted_api(server: ScriptedServer, *statuses: int) -> tuple[KubernetesApi, list[float], list[int]]:
    server.script[:] = list(statuses)
    server.seen.clear()
    slept: list[float] = []
    tokens: list[int] = []

    def token() -> str:
        tokens.append(1)
        return f"token-{len(tokens)}"

    return KubernetesApi(server.endpoint, _b64(server.ca_pem), token=token, sleep=slept.append), slept, tokens


def test_a_read_is_retried_on_5xx_with_a_fresh_token_each_time(scripted: ScriptedServer) -> None:
    # Given a server that fails twice with 503, then answers
    api, slept, _ = _scripted_api(scripted, 503, 503, 200)
    # When an object is read
    found = api.get("/api/v1/namespaces/x")
    # Then the third attempt's answer is returned, after two backoffs, each attempt with a fresh token
    assert found == {"kind": "Thing", "metadata": {"name": "x"}}
    assert [auth for _, _, auth in scripted.seen] == ["Bearer token-1", "Bearer token-2", "Bearer token-3"]
    assert len(slept) == 2
    assert slept[1] > slept[0]


def test_retries_are_bounded(scripted: ScriptedServer) -> None:
    # Given a server that always answers 500
    api, _, _ = _scripted_api(scripted, *[500] * 10)
    # When an object is read, then it fails with the status and message after the bounded attempts
    with pytest.raises(KubernetesApiError) as raised:
        api.get("/api/v1/namespaces/x")
    assert raised.value.status == 500
    assert "scripted 500" in str(raised.value)
    assert len(scripted.seen) == MAX_ATTEMPTS


def test_a_write_is_retried_on_429_but_not_on_a_client_error(scripted: ScriptedServer) -> None:
    # Given a server that throttles a create once
    api, _, _ = _scripted_api(scripted, 429, 201)
    # When an object is created, then the create is sent again and succeeds
    api.create("/api/v1/namespaces", {"metadata": {"name": "x"}})
    assert [method for method, _, _ in scripted.seen] == ["POST", "POST"]
    # And given a server that answers 409, a create is sent once and fails with that status
    api, _, _ = _scripted_api(scripted, 409)
    with pytest.raises(KubernetesApiError) as raised:
        api.create("/api/v1/namespaces", {"metadata": {"name": "x"}})
    assert raised.value.status == 409
    assert len(scripted.seen) == 1


def test_a_lost_answer_is_retried_for_a_read_only(scripted: ScriptedServer) -> None:
    # Given a server that drops the connection once
    api, _, _ = _scripted_api(scripted, DROP, 200)
    # When an object is read, then the read is sent again and succeeds
    assert api.get("/api/v1/namespaces/x") is not None
    assert len(scripted.seen) == 2
    # And when a write's answer is lost, it is not sent again (it may have been applied)
    api, _, _ = _scripted_api(scripted, DROP, 200)
    with pytest.raises(KubernetesUnreachable, match="no answer"):
        api.replace("/api/v1/namespaces/x", {"metadata": {"name": "x"}})
    assert len(scripted.seen) == 1


def test_a_missing_object_reads_as_none_and_deletes_as_already_gone(scripted: ScriptedServer) -> None:
    # Given a server that answers 404
    api, _, _ = _scripted_api(scripted, 404, 404)
    # When the object is read and deleted, then it is None and already gone
    assert api.get("/api/v1/namespaces/x") is None
    assert api.delete("/api/v1/namespaces/x") is False


# for_cluster (endpoint and CA from DescribeCluster, a token for that cluster) runs for real in every
# provisioning test: tests/integration/test_provision_environment.py.


# --- against a real kube-apiserver with RBAC -----------------------------------------------------------

ADMIN_TOKEN = "test-admin-token"
NODE_GROUP_USER_TOKEN = "test-nobody-token"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from local.kubernetes import Identity, KubernetesCluster

    def authenticate(token: str) -> Identity | None:
        if token == ADMIN_TOKEN:
            return Identity(username="test-admin", uid="test-admin", groups=("system:masters",))
        if token == NODE_GROUP_USER_TOKEN:
            return Identity(username="nobody", uid="nobody", groups=())
        return None

    started = KubernetesCluster.start(name="cluster-access", authenticate=authenticate)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def api(cluster: Any) -> KubernetesApi:
    return KubernetesApi(cluster.endpoint, _b64(cluster.ca_pem), token=lambda: ADMIN_TOKEN)


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
    recording = RecordingApi(cluster.endpoint, _b64(cluster.ca_pem), token=lambda: ADMIN_TOKEN)
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


def test_tls_fails_against_another_ca(cluster: Any) -> None:
    # Given a client that trusts some other CA
    other_ca = _b64(_another_ca_pem())
    api = KubernetesApi(cluster.endpoint, other_ca, token=lambda: ADMIN_TOKEN)
    # When it calls the server, then TLS fails and no answer is read
    with pytest.raises(KubernetesUnreachable, match="TLS"):
        api.get("/api/v1/namespaces")


def test_an_api_error_carries_the_status_and_message_and_never_the_token(cluster: Any) -> None:
    # Given a client whose token the server does not accept, and one that may do nothing
    rejected = KubernetesApi(cluster.endpoint, _b64(cluster.ca_pem), token=lambda: "secret-not-a-user")
    nobody = KubernetesApi(cluster.endpoint, _b64(cluster.ca_pem), token=lambda: NODE_GROUP_USER_TOKEN)
    # When each calls the API, then the errors carry status and Kubernetes' message, never the token
    with pytest.raises(KubernetesApiError) as unauthorized:
        rejected.get("/api/v1/namespaces")
    assert unauthorized.value.status == 401
    assert "secret-not-a-user" not in str(unauthorized.value)
    with pytest.raises(KubernetesApiError) as forbidden:
        nobody.get("/api/v1/namespaces/default")
    assert forbidden.value.status == 403
    assert forbidden.value.reason == "Forbidden"
    assert 'User "nobody" cannot get resource "namespaces"' in str(forbidden.value)
    assert NODE_GROUP_USER_TOKEN not in str(forbidden.value)


# --- helpers -----------------------------------------------------------------------------------------

_RBAC = "rbac.authorization.k8s.io"
_KIND_PATHS = {
    "Namespace": ("v1", "namespaces"),
    "ClusterRole": (f"{_RBAC}/v1", "clusterroles"),
    "ClusterRoleBinding": (f"{_RBAC}/v1", "clusterrolebindings"),
    "Role": (f"{_RBAC}/v1", "roles"),
    "RoleBinding": (f"{_RBAC}/v1", "rolebindings"),
}


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


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


def _another_ca_pem() -> str:
    """A CA certificate that did not sign the server's certificate."""
    return _server_certificate()[0]


def _server_certificate() -> tuple[str, str, str]:
    """A new CA, and a server certificate it signed for 127.0.0.1: (CA PEM, certificate PEM, key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from cryptography.x509.oid import NameOID

    def certificate(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> Any:
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("test-ca", ca_key, "test-ca", ca_key, ca=True)
    server = certificate("test-server", server_key, "test-ca", ca_key, ca=False)
    key_pem = server_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return ca.public_bytes(Encoding.PEM).decode(), server.public_bytes(Encoding.PEM).decode(), key_pem
