"""The Kubernetes objects this control plane writes into a cluster, and how: each is created, or else read
and replaced only when it differs (a second run writes nothing), and what we created is marked so, so that
teardown removes exactly that and never what was there before us. Writers racing on one object (409
Conflict) get a few read-modify-write rounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws.kubernetes import KubernetesApi, resource_path
from batch_on_eks.errors import InvalidInput, KubernetesApiError
from batch_on_eks.observability import logger

RBAC = "rbac.authorization.k8s.io"
# On objects we created (their absence marks an object that was there before us: never deleted).
CREATED_BY = "batch-on-eks/created-by"
CREATED_BY_VALUE = "batch-on-eks-control-plane"
MANAGED_BY_LABEL = {"app.kubernetes.io/managed-by": CREATED_BY_VALUE}
# Writers racing on one object (409 Conflict on replace) get this many read-modify-write rounds.
MAX_WRITE_ROUNDS = 5


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
        Kind("ServiceAccount", "v1", "serviceaccounts", True, ("automountServiceAccountToken",)),
        Kind("ClusterRole", f"{RBAC}/v1", "clusterroles", False, ("rules",)),
        Kind("ClusterRoleBinding", f"{RBAC}/v1", "clusterrolebindings", False, ("subjects", "roleRef")),
        Kind("Role", f"{RBAC}/v1", "roles", True, ("rules",)),
        Kind("RoleBinding", f"{RBAC}/v1", "rolebindings", True, ("subjects", "roleRef")),
    )
}


def apply(api: KubernetesApi, manifest: dict[str, Any]) -> dict[str, Any]:
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
    raise still_conflicting(path)


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


def delete_created(api: KubernetesApi, entry: dict[str, Any]) -> None:
    """Delete the object ``entry`` records, if we created it (one that was there before us stays); gone
    already is fine, and so is one deleted and created again by someone else since (another uid)."""
    if not entry.get("created"):
        return
    kind = KINDS.get(str(entry.get("kind")))
    if kind is None:
        raise InvalidInput.field("clusterAccess.objects", f"an unknown kind {entry.get('kind')!r}")
    path = kind.path(str(entry["name"]), entry.get("namespace"))
    try:
        deleted = api.delete(path, uid=entry.get("uid"))
    except KubernetesApiError as error:
        if error.status != 409:
            raise
        logger.warning("Left an object that is no longer ours", extra={"path": path})
        return
    logger.info("Deleted" if deleted else "Already gone", extra={"path": path})


def still_conflicting(path: str) -> KubernetesApiError:
    detail = f"still conflicting after {MAX_WRITE_ROUNDS} read-modify-write rounds"
    return KubernetesApiError("PUT", path, 409, "Conflict", detail)
