"""The ``kube-system/aws-auth`` ConfigMap: edits to its ``mapRoles``, as pure functions of its text, and
their read-modify-write through the cluster's API.

aws-auth is shared: the managed node group's own mapping lives there (lose it and the nodes can no
longer join), and people add theirs. So an edit only ever appends entries, or removes entries it is
told are ours; every other entry keeps its place and its content. When entries are added, the existing
text is kept byte for byte (comments included) and the new entries are appended to it.

PyYAML is imported inside the functions that parse: only the provisioning step pays for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from batch_on_eks.aws.kubernetes import KubernetesApi, resource_path
from batch_on_eks.environments.kubernetes_objects import (
    CREATED_BY,
    CREATED_BY_VALUE,
    MANAGED_BY_LABEL,
    MAX_WRITE_ROUNDS,
    still_conflicting,
)
from batch_on_eks.errors import AwsAuthConflict, KubernetesApiError

BATCH_SERVICE_ROLE = "AWSServiceRoleForBatch"
BATCH_USERNAME = "aws-batch"
NODE_USERNAME = "system:node:{{EC2PrivateDNSName}}"
NODE_GROUPS = ("system:bootstrappers", "system:nodes")
AWS_AUTH = ("kube-system", "aws-auth")
# On aws-auth: the mapRoles entries we added, as JSON.
ADDED_MAP_ROLES = "batch-on-eks/added-map-roles"


@dataclass(frozen=True)
class RoleMapping:
    """One ``mapRoles`` entry: IAM role ARN -> Kubernetes username and groups."""

    rolearn: str
    username: str
    groups: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"rolearn": self.rolearn, "username": self.username}
        if self.groups:
            entry["groups"] = list(self.groups)
        return entry

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> RoleMapping:
        return cls(
            str(entry["rolearn"]), str(entry["username"]), tuple(str(g) for g in entry.get("groups") or ())
        )

    def same_as(self, entry: Any) -> bool:
        """Whether a parsed entry maps the same role the same way (the order of groups does not matter)."""
        if not isinstance(entry, dict):
            return False
        return (
            entry.get("rolearn") == self.rolearn
            and entry.get("username") == self.username
            and sorted(str(g) for g in entry.get("groups") or ()) == sorted(self.groups)
        )


def role_arn_without_path(role_arn: str) -> str:
    """``arn:aws:iam::1:role/a/b/Name`` -> ``arn:aws:iam::1:role/Name``: aws-auth matches the ARN that STS
    reports for the assumed role, which carries no path, so an entry with a path never matches."""
    prefix, sep, name_with_path = role_arn.partition(":role/")
    if not sep or not prefix.startswith("arn:") or not name_with_path:
        raise ValueError(f"not an IAM role ARN: {role_arn!r}")
    return f"{prefix}:role/{name_with_path.rsplit('/', 1)[-1]}"


def batch_mappings(account_id: str, partition: str, batch_instance_role_arn: str) -> tuple[RoleMapping, ...]:
    """The two entries AWS Batch on EKS needs: its service-linked role as the ``aws-batch`` user (bound by
    the RBAC objects), and the instance role of the nodes Batch launches as a node."""
    service_role = f"arn:{partition}:iam::{account_id}:role/{BATCH_SERVICE_ROLE}"
    return (
        RoleMapping(service_role, BATCH_USERNAME),
        RoleMapping(role_arn_without_path(batch_instance_role_arn), NODE_USERNAME, NODE_GROUPS),
    )


def parse_map_roles(text: str | None) -> list[Any]:
    """The entries of a ``mapRoles`` value (missing or blank: none)."""
    import yaml

    parsed = yaml.safe_load(text) if text and text.strip() else None
    if parsed is None:
        return []
    if not isinstance(parsed, list):
        raise ValueError("aws-auth mapRoles is not a YAML list")
    return parsed


def add_mappings(text: str | None, wanted: tuple[RoleMapping, ...]) -> tuple[str | None, list[RoleMapping]]:
    """``mapRoles`` with every ``wanted`` entry present: (the new text, or None when nothing changes; the
    entries appended). An entry already there, ours or anyone's, is not added twice; a role already mapped
    differently raises :class:`AwsAuthConflict`."""
    import yaml

    entries = parse_map_roles(text)
    missing: list[RoleMapping] = []
    for mapping in wanted:
        if any(mapping.same_as(entry) for entry in entries):
            continue
        clashing = [e for e in entries if isinstance(e, dict) and e.get("rolearn") == mapping.rolearn]
        if clashing:
            raise AwsAuthConflict(
                f"aws-auth already maps {mapping.rolearn} to {clashing[0].get('username')!r} with groups "
                f"{clashing[0].get('groups') or []}; AWS Batch needs {mapping.username!r} with groups "
                f"{list(mapping.groups)}"
            )
        missing.append(mapping)
    if not missing:
        return None, []
    appended = yaml.safe_dump([m.as_dict() for m in missing], default_flow_style=False, sort_keys=False)
    expected = entries + [m.as_dict() for m in missing]
    # Appending keeps the existing text as it was; when its style does not allow it (a flow list, a
    # document end marker), the whole list is written anew, entries in the same order.
    candidate = (text.rstrip("\n") + "\n" if text and text.strip() else "") + appended
    if _loads(candidate) != expected:
        candidate = yaml.safe_dump(expected, default_flow_style=False, sort_keys=False)
    return candidate, missing


def remove_mappings(text: str | None, ours: tuple[RoleMapping, ...]) -> str | None:
    """``mapRoles`` without the entries in ``ours``, every other entry kept in its order; None when none
    of them is there. Each of ours is removed once, its last occurrence (we appended it): should someone
    have added the very same entry too, theirs stays."""
    import yaml

    entries = parse_map_roles(text)
    kept = list(entries)
    removed: list[Any] = []
    for mapping in ours:
        index = next((i for i in reversed(range(len(kept))) if mapping.same_as(kept[i])), None)
        if index is not None:
            removed.append(kept.pop(index))
    if not removed or text is None:
        return None
    # Ours still at the end, as appended: cutting them off gives back the text as it was before us.
    removed.sort(key=lambda entry: next(i for i, e in enumerate(entries) if e is entry))
    tail = yaml.safe_dump(removed, default_flow_style=False, sort_keys=False)
    if text.endswith(tail) and (_loads(text[: -len(tail)]) or []) == kept:
        return text[: -len(tail)]
    return yaml.safe_dump(kept, default_flow_style=False, sort_keys=False) if kept else ""


def _loads(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def add_to_aws_auth(api: KubernetesApi, wanted: tuple[RoleMapping, ...]) -> dict[str, Any]:
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
    raise still_conflicting(path)


def remove_from_aws_auth(api: KubernetesApi, recorded: dict[str, Any]) -> None:
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
    raise still_conflicting(path)


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
