"""Give AWS Batch access to the cluster (provisioning, step 3), and take it back (teardown).

What Batch needs (the blueprint's RBAC and aws-auth parts): the Batch namespace; a ClusterRole to read
nodes, pods and workloads cluster-wide and a Role to run pods in the namespace, both bound to the user
``aws-batch``; and aws-auth entries that map Batch's service-linked role to that user and its instance
role to a node (EKS access entries do not accept service-linked roles, so aws-auth it is).

Re-running converges and never duplicates: each object is created, or else read and replaced only when
it differs (a second run writes nothing). What we created carries an annotation, and the aws-auth
entries we added are listed in one on aws-auth, so every run returns the same record of what is ours
and teardown removes exactly that: objects we created, entries we added; never what was there before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws.kubernetes import KubernetesApi, resource_path
from batch_on_eks.environments.aws_auth import (
    RoleMapping,
    add_mappings,
    batch_mappings,
    parse_map_roles,
    remove_mappings,
)
from batch_on_eks.errors import InvalidInput, KubernetesApiError
from batch_on_eks.observability import logger

BATCH_USER = "aws-batch"
CLUSTER_ROLE = "aws-batch-cluster-role"
CLUSTER_ROLE_BINDING = "aws-batch-cluster-role-binding"
NAMESPACE_ROLE = "aws-batch-compute-environment-role"
NAMESPACE_ROLE_BINDING = "aws-batch-compute-environment-role-binding"
AWS_AUTH = ("kube-system", "aws-auth")
RBAC = "rbac.authorization.k8s.io"
# On objects we created (their absence marks an object that was there before us: never deleted).
CREATED_BY = "batch-on-eks/created-by"
CREATED_BY_VALUE = "batch-on-eks-control-plane"
# On aws-auth: the mapRoles entries we added, as JSON.
ADDED_MAP_ROLES = "batch-on-eks/added-map-roles"
MANAGED_BY_LABEL = {"app.kubernetes.io/managed-by": CREATED_BY_VALUE}
# Writers racing on one object (409 Conflict on replace) get this many read-modify-write rounds.
MAX_WRITE_ROUNDS = 5

_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_ACCOUNT = re.compile(r"\d{12}")
_PARTITION = re.compile(r"aws(?:-[a-z]+)*")


@dataclass(frozen=True)
class Kind:
    """Where objects of one kind live in the API, and which top-level fields we own on them."""

    name: str
    group_version: str
    plural: str
    namespaced: bool
    owned_fields: tuple[str, ...]

    def path(self, name: str | None = None, namespace: str | None = None) -> str:
        return resource_path(self.group_version, self.plural, name, namespace if self.namespaced else None)


KINDS = {
    kind.name: kind
    for kind in (
        Kind("Namespace", "v1", "namespaces", False, ()),
        Kind("ClusterRole", f"{RBAC}/v1", "clusterroles", False, ("rules",)),
        Kind("ClusterRoleBinding", f"{RBAC}/v1", "clusterrolebindings", False, ("subjects", "roleRef")),
        Kind("Role", f"{RBAC}/v1", "roles", True, ("rules",)),
        Kind("RoleBinding", f"{RBAC}/v1", "rolebindings", True, ("subjects", "roleRef")),
    )
}


def grant_batch_access(
    api: KubernetesApi, namespace: str, account_id: str, partition: str, batch_instance_role_arn: str
) -> dict[str, Any]:
    """Namespace, RBAC and aws-auth entries for AWS Batch; returns the JSON-safe record of what is ours
    (per object: created by us, or there before and only brought up to date; the aws-auth entries we
    added), which :func:`revoke_batch_access` takes."""
    _check_namespace(namespace)
    if not _ACCOUNT.fullmatch(account_id):
        raise InvalidInput.field("accountId", f"a 12-digit AWS account id (got {account_id!r})")
    if not _PARTITION.fullmatch(partition):
        raise InvalidInput.field("partition", f"an AWS partition such as aws (got {partition!r})")
    try:
        mappings = batch_mappings(account_id, partition, batch_instance_role_arn)
    except ValueError as error:
        raise InvalidInput.field("batchInstanceRoleArn", str(error)) from error

    objects = [_apply(api, manifest) for manifest in batch_rbac_manifests(namespace)]
    record = {"namespace": namespace, "objects": objects, "awsAuth": _add_to_aws_auth(api, mappings)}
    logger.info("Batch access granted", extra={"clusterAccess": record})
    return record


def revoke_batch_access(api: KubernetesApi, record: dict[str, Any]) -> None:
    """Remove what ``record`` says we wrote: our aws-auth entries first (Batch loses access at once), then
    the objects we created, newest first. Objects that were there before us stay; gone already is fine."""
    _remove_from_aws_auth(api, record.get("awsAuth") or {})
    for entry in reversed(record.get("objects") or []):
        if not entry.get("created"):
            continue
        kind = KINDS.get(str(entry.get("kind")))
        if kind is None:
            raise InvalidInput.field("clusterAccess.objects", f"an unknown kind {entry.get('kind')!r}")
        path = kind.path(str(entry["name"]), entry.get("namespace"))
        try:
            deleted = api.delete(path, uid=entry.get("uid"))
        except KubernetesApiError as error:
            if error.status != 409:
                raise
            # Deleted and created again by someone else since (another uid): not ours any more.
            logger.warning("Left an object that is no longer ours", extra={"path": path})
            continue
        logger.info("Deleted" if deleted else "Already gone", extra={"path": path})


def batch_rbac_manifests(namespace: str) -> list[dict[str, Any]]:
    """The namespace and the RBAC objects of the blueprint, in the order they are created."""
    rbac = f"{RBAC}/v1"
    user = [{"kind": "User", "apiGroup": RBAC, "name": BATCH_USER}]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE},
            "rules": [
                _rule("", ["namespaces"], ["get"]),
                _rule("", ["nodes", "pods", "configmaps"], ["get", "list", "watch"]),
                _rule(
                    "apps",
                    ["daemonsets", "deployments", "statefulsets", "replicasets"],
                    ["get", "list", "watch"],
                ),
                _rule(RBAC, ["clusterroles", "clusterrolebindings"], ["get", "list"]),
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": CLUSTER_ROLE_BINDING},
            "subjects": user,
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": CLUSTER_ROLE},
        },
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": {"name": NAMESPACE_ROLE, "namespace": namespace},
            "rules": [
                _rule("", ["pods"], ["create", "get", "list", "watch", "delete", "patch"]),
                _rule("", ["serviceaccounts"], ["get", "list"]),
                _rule(RBAC, ["roles", "rolebindings"], ["get", "list"]),
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": NAMESPACE_ROLE_BINDING, "namespace": namespace},
            "subjects": user,
            "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": NAMESPACE_ROLE},
        },
    ]


def _rule(group: str, resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": resources, "verbs": verbs}


def _check_namespace(namespace: str) -> None:
    if not isinstance(namespace, str) or not _LABEL.fullmatch(namespace):
        raise InvalidInput.field(
            "namespace",
            "an RFC 1123 label: up to 63 lowercase letters, digits and hyphens, starting and ending with a "
            f"letter or digit (got {namespace!r})",
        )
    if namespace.startswith("kube-"):
        raise InvalidInput.field("namespace", f"the kube- prefix is Kubernetes' own (got {namespace!r})")


def _apply(api: KubernetesApi, manifest: dict[str, Any]) -> dict[str, Any]:
    """Create the object, or bring the existing one up to date (our fields only, and only if they
    differ); returns its record entry."""
    kind = KINDS[manifest["kind"]]
    name = manifest["metadata"]["name"]
    namespace = manifest["metadata"].get("namespace")
    path = kind.path(name, namespace)
    body = {
        **manifest,
        "metadata": {
            **manifest["metadata"],
            "labels": dict(MANAGED_BY_LABEL),
            "annotations": {CREATED_BY: CREATED_BY_VALUE},
        },
    }
    for _ in range(MAX_WRITE_ROUNDS):
        try:
            written = api.create(kind.path(namespace=namespace), body)
        except KubernetesApiError as error:
            if error.status != 409:
                raise
        else:
            return _entry(kind, written)
        existing = api.get(path)
        if existing is None:
            continue  # deleted between our create and our read: create again
        if all(_same(existing.get(field), manifest[field]) for field in kind.owned_fields):
            return _entry(kind, existing)
        updated = {**existing, **{field: manifest[field] for field in kind.owned_fields}}
        try:
            written = api.replace(path, updated)
        except KubernetesApiError as error:
            if error.status != 409:
                raise
            continue  # written by someone else since our read: read again
        return _entry(kind, written)
    raise _still_conflicting(path)


def _entry(kind: Kind, found: dict[str, Any]) -> dict[str, Any]:
    metadata = found["metadata"]
    entry: dict[str, Any] = {"kind": kind.name, "name": metadata["name"]}
    if kind.namespaced:
        entry["namespace"] = metadata["namespace"]
    entry["uid"] = metadata["uid"]
    entry["created"] = (metadata.get("annotations") or {}).get(CREATED_BY) == CREATED_BY_VALUE
    return entry


def _same(found: Any, wanted: Any) -> bool:
    """Equal once the API server's omissions are accounted for (it drops empty lists and nulls)."""
    return _without_empty(found) == _without_empty(wanted)


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def _add_to_aws_auth(api: KubernetesApi, wanted: tuple[RoleMapping, ...]) -> dict[str, Any]:
    """Read-modify-write of aws-auth: our entries appended if missing, nothing else touched, no write
    when nothing changes; created (with only our entries) when the cluster has none."""
    namespace, name = AWS_AUTH
    path = resource_path("v1", "configmaps", name, namespace)
    for _ in range(MAX_WRITE_ROUNDS):
        config_map = api.get(path)
        if config_map is None:
            text, added = add_mappings(None, wanted)
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": dict(MANAGED_BY_LABEL),
                    "annotations": {CREATED_BY: CREATED_BY_VALUE, ADDED_MAP_ROLES: _annotation(added)},
                },
                "data": {"mapRoles": text or ""},
            }
            try:
                created = api.create(resource_path("v1", "configmaps", namespace=namespace), body)
            except KubernetesApiError as error:
                if error.status != 409:
                    raise
                continue  # created by someone else meanwhile: edit theirs
            return _aws_auth_record(created, added)
        metadata = config_map.setdefault("metadata", {})
        annotations = metadata.get("annotations") or {}
        text = (config_map.get("data") or {}).get("mapRoles")
        new_text, added = add_mappings(text, wanted)
        entries = parse_map_roles(new_text if new_text is not None else text)
        listed = [m for m in _listed(annotations) if any(m.same_as(e) for e in entries)]
        ours = listed + [m for m in added if m not in listed]
        if new_text is None and annotations.get(ADDED_MAP_ROLES) == _annotation(ours):
            return _aws_auth_record(config_map, ours)
        if new_text is not None:
            config_map["data"] = {**(config_map.get("data") or {}), "mapRoles": new_text}
        metadata["annotations"] = {**annotations, ADDED_MAP_ROLES: _annotation(ours)}
        try:
            written = api.replace(path, config_map)
        except KubernetesApiError as error:
            if error.status != 409:
                raise
            continue
        return _aws_auth_record(written, ours)
    raise _still_conflicting(path)


def _remove_from_aws_auth(api: KubernetesApi, recorded: dict[str, Any]) -> None:
    """Our entries out of aws-auth, every other entry kept; aws-auth itself deleted only when we created
    it and nothing else is left in it."""
    ours = tuple(RoleMapping.from_dict(entry) for entry in recorded.get("addedMapRoles") or [])
    namespace, name = AWS_AUTH
    path = resource_path("v1", "configmaps", name, namespace)
    for _ in range(MAX_WRITE_ROUNDS):
        config_map = api.get(path)
        if config_map is None:
            return
        metadata = config_map.setdefault("metadata", {})
        annotations = dict(metadata.get("annotations") or {})
        data = dict(config_map.get("data") or {})
        new_text = remove_mappings(data.get("mapRoles"), ours)
        still_listed = [m for m in _listed(annotations) if m not in ours]
        if still_listed:
            annotations[ADDED_MAP_ROLES] = _annotation(still_listed)
        else:
            annotations.pop(ADDED_MAP_ROLES, None)
        if new_text is not None:
            data["mapRoles"] = new_text
        left = {key: value for key, value in data.items() if str(value).strip() not in ("", "[]")}
        if recorded.get("configMapCreated") and not left and metadata.get("uid") == recorded.get("uid"):
            try:
                api.delete(path, uid=recorded.get("uid"))
            except KubernetesApiError as error:
                if error.status != 409:
                    raise
                continue
            return
        if new_text is None and annotations == (metadata.get("annotations") or {}):
            return
        config_map["data"] = data
        metadata["annotations"] = annotations
        try:
            api.replace(path, config_map)
        except KubernetesApiError as error:
            if error.status != 409:
                raise
            continue
        return
    raise _still_conflicting(path)


def _still_conflicting(path: str) -> KubernetesApiError:
    detail = f"still conflicting after {MAX_WRITE_ROUNDS} read-modify-write rounds"
    return KubernetesApiError("PUT", path, 409, "Conflict", detail)


def _aws_auth_record(config_map: dict[str, Any], ours: list[RoleMapping]) -> dict[str, Any]:
    metadata = config_map["metadata"]
    return {
        "configMapCreated": (metadata.get("annotations") or {}).get(CREATED_BY) == CREATED_BY_VALUE,
        "uid": metadata["uid"],
        "addedMapRoles": [mapping.as_dict() for mapping in ours],
    }


def _annotation(mappings: list[RoleMapping]) -> str:
    return json.dumps([m.as_dict() for m in mappings], separators=(",", ":"))


def _listed(annotations: dict[str, Any]) -> list[RoleMapping]:
    """The entries aws-auth's annotation says we added (an unreadable annotation lists none)."""
    try:
        listed = json.loads(annotations.get(ADDED_MAP_ROLES) or "[]")
        return [RoleMapping.from_dict(entry) for entry in listed]
    except (ValueError, TypeError, KeyError):
        return []
