"""The one place where moto 5.2.5's missing pieces of EKS and Batch are filled.

What moto 5.2.5 already does and is kept: EKS clusters, node groups and Fargate profiles (create,
describe, list, update, delete, tags); Batch compute environments, job queues and job definitions
(``eksProperties``, ``retryStrategy`` with ``evaluateOnExit``, ``timeout`` and ``tags`` round-trip).

What is filled here (``install()`` patches moto's classes in place; nothing is copied from moto):

* EKS add-ons (Create/Describe/List/Update/Delete, DescribeAddonVersions with a small fixed list),
  access entries and access policies, Pod Identity associations.
* EKS CreateCluster keeps ``accessConfig``; UpdateClusterConfig applies it. Clusters, node groups
  and add-ons start in their creating status and become ready as ``READINESS`` says; deletion
  answers DELETING and the resource is gone at once.
* Batch CreateComputeEnvironment keeps ``eksConfiguration`` (described back with
  ``containerOrchestrationType: EKS``), defaults ``serviceRole`` to the Batch service-linked role
  (created when missing, as Batch does), and follows ``READINESS`` (CREATING, then VALID or
  INVALID). CreateJobQueue/UpdateJobQueue keep ``jobStateTimeLimitActions``.
* Step Functions: a task token answered (SendTaskSuccess/Failure) while its task's Lambda still runs
  ends the task, as on AWS, instead of being ignored until the heartbeat lapses.
* A presigned (query-string-signed) request is routed to the service its credential scope names (the
  STS GetCallerIdentity URL inside an EKS token), not to S3, and is answered for the access key that
  signed it (moto read it from the Authorization header only, so STS named every caller ``user/moto``).
* EKS CreateCluster/DescribeCluster answer with the endpoint and CA of a real local API server when the
  embedded AWS runs one per cluster (``use_eks_control_plane``; see local/kubernetes/eks.py), and
  DeleteCluster stops it.
* Every EKS and Batch request is validated against botocore's service model before moto sees it
  (``_validate_request``), answering 400 with the service's own error code when invalid.

``install()`` must run before the moto server builds its EKS/Batch app (its first request for
that service), because the server reads the URL map only then.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator
from moto.batch.models import batch_backends
from moto.batch.responses import BatchResponse
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.routing import get_service_router
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.eks.models import Cluster, EKSBackend, paginated_list
from moto.eks.responses import EKSResponse
from moto.iam import models as iam_models
from moto.moto_api._internal import mock_random as random
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

__all__ = [
    "READINESS",
    "EksControlPlane",
    "ReadinessPolicy",
    "eks_access_entries",
    "eks_authentication_mode",
    "eks_namespace_for_queue",
    "install",
    "use_eks_control_plane",
]

KINDS = ("cluster", "nodegroup", "addon", "compute-environment")

# kind -> (creating, ready, failed) status, as the real APIs name them
_STATUSES = {
    "cluster": ("CREATING", "ACTIVE", "FAILED"),
    "nodegroup": ("CREATING", "ACTIVE", "CREATE_FAILED"),
    "addon": ("CREATING", "ACTIVE", "CREATE_FAILED"),
    "compute-environment": ("CREATING", "VALID", "INVALID"),
}


# --------------------------------------------------------------------------------------------
# Readiness
# --------------------------------------------------------------------------------------------
@dataclass
class _Hold:
    describes: int | None
    fail_reason: str | None


@dataclass
class _Lifecycle:
    """Per resource: how many Describes saw it creating, and where it ended."""

    describes_seen: int = 0
    phase: str = "creating"  # creating | ready | failed
    reason: str | None = None


class ReadinessPolicy:
    """How long a freshly created resource stays in its creating status.

    Default (no hold): ready at the first Describe after its creation. A hold is looked up at each
    Describe by kind and name (for node groups and add-ons, ``name`` or ``cluster/name``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: dict[tuple[str, str], _Hold] = {}

    def hold(self, kind: str, name: str, describes: int | None, *, fail_reason: str | None = None) -> None:
        """Keep resource `name` of `kind` in its creating status for `describes` Describe calls (None = never ready).
        With fail_reason, after those describes it goes to its failed status (CE: INVALID with statusReason=fail_reason; cluster/nodegroup/addon: FAILED / CREATE_FAILED with the reason in health/issues as AWS shows it)."""  # noqa: E501
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
        if describes is not None and describes < 0:
            raise ValueError("describes must be >= 0 or None")
        with self._lock:
            self._holds[(kind, name)] = _Hold(describes, fail_reason)

    def reset(self) -> None:
        """Forget every hold (resources already ready or failed stay so)."""
        with self._lock:
            self._holds.clear()

    def observe(self, kind: str, names: tuple[str, ...], lifecycle: _Lifecycle) -> _Lifecycle:
        """Count one Describe of a resource and move it on when its hold is over."""
        with self._lock:
            if lifecycle.phase != "creating":
                return lifecycle
            hold = next((self._holds[(kind, n)] for n in names if (kind, n) in self._holds), None)
            limit = hold.describes if hold else 0
            if limit is None or lifecycle.describes_seen < limit:
                lifecycle.describes_seen += 1
                return lifecycle
            if hold is not None and hold.fail_reason is not None:
                lifecycle.phase, lifecycle.reason = "failed", hold.fail_reason
            else:
                lifecycle.phase = "ready"
            return lifecycle


READINESS = ReadinessPolicy()


def _lifecycle_of(obj: Any) -> _Lifecycle:
    lc = getattr(obj, "_gap_lifecycle", None)
    if lc is None:  # created before install(), or by moto itself (e.g. CloudFormation): ready
        lc = _Lifecycle(phase="ready")
        obj._gap_lifecycle = lc
    return lc


def _status_after_describe(kind: str, names: tuple[str, ...], obj: Any) -> _Lifecycle:
    lc = _lifecycle_of(obj)
    if lc.phase == "creating":
        READINESS.observe(kind, names, lc)
    return lc


def _issue(code: str, message: str, resource_ids: list[str]) -> dict[str, Any]:
    return {"issues": [{"code": code, "message": message, "resourceIds": resource_ids}]}


def _apply_eks_status(kind: str, obj: Any, lc: _Lifecycle, resource_id: str) -> None:
    creating, ready, failed = _STATUSES[kind]
    if lc.phase == "creating":
        obj.status = creating
    elif lc.phase == "ready":
        if obj.status == creating:
            obj.status = ready
    elif obj.status != failed:
        obj.status = failed
        obj.health = _issue("InternalFailure", lc.reason or "", [resource_id])


# --------------------------------------------------------------------------------------------
# Request validation against botocore's model (one generic function)
# --------------------------------------------------------------------------------------------
_VALIDATION_ERROR_CODE = {"eks": "InvalidParameterException", "batch": "ClientException"}


def _coerce(shape: Shape, values: list[str]) -> Any:
    if shape.type_name == "list":
        return list(values)
    value = values[0]
    if shape.type_name in ("integer", "long"):
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if shape.type_name == "boolean":
        return {"true": True, "false": False}.get(value.lower(), value)
    return value


def _request_params(op: OperationModel, uri_params: dict[str, Any], resp: BaseResponse) -> dict[str, Any]:
    """Rebuild the caller's parameters from the HTTP request, the way botocore serialized them."""
    shape = op.input_shape
    if shape is None:
        return {}
    raw = resp.body
    body: Any = {}
    if raw:
        try:
            body = json.loads(raw)
        except ValueError as err:
            raise _InvalidBody("the request body is not valid JSON") from err
    if not isinstance(body, dict):
        raise _InvalidBody("the request body must be a JSON object")
    query = parse_qs(resp.parsed_url.query, keep_blank_values=True)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in uri_params:
                params[name] = _coerce(member, [str(uri_params[wire])])
        elif location == "querystring":
            if wire in query:
                params[name] = _coerce(member, query[wire])
        elif location == "header":
            if wire in resp.headers:
                params[name] = _coerce(member, [resp.headers[wire]])
        elif wire in body:
            params[name] = body[wire]
    unknown = sorted(set(body) - {m.serialization.get("name", n) for n, m in shape.members.items()})
    if unknown:
        raise _InvalidBody(f"Unknown parameter in input: {', '.join(repr(k) for k in unknown)}")
    return params


class _InvalidBody(Exception):
    pass


def _validate_request(service: str, resp: BaseResponse) -> tuple[int, dict[str, str], str] | None:
    """Validate the request `resp` holds against botocore's model; an error response, or None."""
    try:
        op, uri_params = get_service_router(service).match(resp.normalized_request)
    except Exception:  # not an operation of the model: leave it to moto
        return None
    try:
        params = _request_params(op, uri_params, resp)
        report = ParamValidator().validate(params, op.input_shape) if op.input_shape else None
        problem = report.generate_report() if report is not None and report.has_errors() else None
    except _InvalidBody as err:
        problem = str(err)
    if problem is None:
        return None
    code = _VALIDATION_ERROR_CODE[service]
    message = f"{op.name}: {problem}"
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "status": "400"}
    return 400, headers, json.dumps({"__type": code, "message": message})


def _with_validation(service: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def call_action(self: BaseResponse) -> Any:
        error = _validate_request(service, self)
        if error is not None:
            return error
        return original(self)

    call_action._gap_patched = True  # type: ignore[attr-defined]
    return call_action


# --------------------------------------------------------------------------------------------
# EKS state kept on moto's Cluster objects
# --------------------------------------------------------------------------------------------
ADDON_VERSIONS: dict[str, str] = {
    "vpc-cni": "v1.19.2-eksbuild.1",
    "kube-proxy": "v1.31.3-eksbuild.2",
    "coredns": "v1.11.4-eksbuild.2",
    "eks-pod-identity-agent": "v1.3.4-eksbuild.1",
    "aws-ebs-csi-driver": "v1.38.1-eksbuild.2",
    "amazon-cloudwatch-observability": "v2.6.0-eksbuild.1",
}
_ADDON_TYPES = {
    "vpc-cni": "networking",
    "kube-proxy": "networking",
    "coredns": "networking",
    "eks-pod-identity-agent": "security",
    "aws-ebs-csi-driver": "storage",
    "amazon-cloudwatch-observability": "observability",
}
_COMPATIBLE_K8S = ("1.29", "1.30", "1.31", "1.32")
ACCESS_POLICIES = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEKSAdminViewPolicy",
)
_POLICY_ARN = "arn:{partition}:eks::aws:cluster-access-policy/{name}"
_PRINCIPAL_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")


@dataclass
class _Addon:
    cluster_name: str
    addon_name: str
    addon_arn: str
    addon_version: str
    service_account_role_arn: str | None
    configuration_values: str | None
    resolve_conflicts: str | None
    pod_identity_associations: list[str]
    tags: dict[str, str]
    status: str = "CREATING"
    health: dict[str, Any] = field(default_factory=lambda: {"issues": []})
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "addonName": self.addon_name,
            "clusterName": self.cluster_name,
            "status": self.status,
            "addonVersion": self.addon_version,
            "health": self.health,
            "addonArn": self.addon_arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "podIdentityAssociations": list(self.pod_identity_associations),
        }
        if self.service_account_role_arn:
            out["serviceAccountRoleArn"] = self.service_account_role_arn
        if self.configuration_values:
            out["configurationValues"] = self.configuration_values
        return out


@dataclass
class _AccessEntry:
    cluster_name: str
    principal_arn: str
    access_entry_arn: str
    kubernetes_groups: list[str]
    username: str
    type: str
    tags: dict[str, str]
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        return {
            "clusterName": self.cluster_name,
            "principalArn": self.principal_arn,
            "kubernetesGroups": list(self.kubernetes_groups),
            "accessEntryArn": self.access_entry_arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "username": self.username,
            "type": self.type,
        }


@dataclass
class _PodIdentity:
    cluster_name: str
    namespace: str
    service_account: str
    role_arn: str
    association_id: str
    association_arn: str
    tags: dict[str, str]
    disable_session_tags: bool
    target_role_arn: str | None
    owner_arn: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "clusterName": self.cluster_name,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "roleArn": self.role_arn,
            "associationArn": self.association_arn,
            "associationId": self.association_id,
            "tags": self.tags,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "disableSessionTags": self.disable_session_tags,
        }
        if self.owner_arn:
            out["ownerArn"] = self.owner_arn
        if self.target_role_arn:
            out["targetRoleArn"] = self.target_role_arn
        return out

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.view().items() if k in _POD_IDENTITY_SUMMARY}
        return out


_POD_IDENTITY_SUMMARY = {
    "clusterName",
    "namespace",
    "serviceAccount",
    "associationArn",
    "associationId",
    "ownerArn",
}


@dataclass
class _ClusterExtras:
    addons: dict[str, _Addon] = field(default_factory=dict)
    access_entries: dict[str, _AccessEntry] = field(default_factory=dict)
    pod_identities: dict[str, _PodIdentity] = field(default_factory=dict)


def _extras(cluster: Cluster) -> _ClusterExtras:
    extras = getattr(cluster, "_gap_extras", None)
    if extras is None:
        extras = _ClusterExtras()
        cluster._gap_extras = extras  # type: ignore[attr-defined]
    return extras


def _not_found(message: str, **ids: str | None) -> ResourceNotFoundException:
    base: dict[str, str | None] = {
        "clusterName": None,
        "nodegroupName": None,
        "fargateProfileName": None,
        "addonName": None,
    }
    return ResourceNotFoundException(**{**base, **ids, "message": message})


def _in_use(message: str, **ids: str | None) -> ResourceInUseException:
    base: dict[str, str | None] = {"clusterName": None, "nodegroupName": None, "addonName": None}
    return ResourceInUseException(**{**base, **ids, "message": message})


def _invalid(message: str, **ids: str | None) -> InvalidParameterException:
    return InvalidParameterException(**{**ids, "message": message})


def _cluster(backend: EKSBackend, name: str) -> Cluster:
    try:
        return backend.clusters[name]
    except KeyError:
        raise _not_found(f"No cluster found for name: {name}.", clusterName=name) from None


def _uuid() -> str:
    return str(random.uuid4())


def _update(update_type: str, params: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": _uuid(),
        "status": "Successful",
        "type": update_type,
        "params": params,
        "createdAt": utcnow(),
        "errors": [],
    }


# ----------------------------------------------------------------------------- add-ons
def _addon(cluster: Cluster, name: str) -> _Addon:
    try:
        return _extras(cluster).addons[name]
    except KeyError:
        raise _not_found(
            f"No addon: {name} found in cluster: {cluster.name}", clusterName=cluster.name, addonName=name
        ) from None


# Where an add-on installs (and so where its service accounts live) when the request names no namespace.
_ADDON_NAMESPACES = {"amazon-cloudwatch-observability": "amazon-cloudwatch"}


def _addon_pod_identities(
    backend: EKSBackend, cluster: Cluster, addon_arn: str, wanted: list[dict[str, str]] | None
) -> list[str]:
    """Replace the associations an add-on owns by `wanted`; their ARNs."""
    extras = _extras(cluster)
    for pid in [p for p in extras.pod_identities.values() if p.owner_arn == addon_arn]:
        del extras.pod_identities[pid.association_id]
    arns = []
    namespace = _ADDON_NAMESPACES.get(addon_arn.split("/")[2], "kube-system")  # addon/<cluster>/<name>/<id>
    for item in wanted or []:
        pid = _new_pod_identity(
            backend, cluster, namespace, item["serviceAccount"], item["roleArn"], {}, False, None
        )
        pid.owner_arn = addon_arn
        arns.append(pid.association_arn)
    return arns


def create_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = _cluster(backend, self._get_param("name"))
    name = self._get_param("addonName")
    extras = _extras(cluster)
    if name in extras.addons:
        raise _in_use(f"Addon already exists with name: {name}", clusterName=cluster.name, addonName=name)
    if not cluster.is_active:
        raise InvalidRequestException(message=f"Cluster '{cluster.name}' is not in ACTIVE status")
    arn = (
        f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:"
        f"addon/{cluster.name}/{name}/{_uuid()}"
    )
    addon = _Addon(
        cluster_name=cluster.name,
        addon_name=name,
        addon_arn=arn,
        addon_version=self._get_param("addonVersion") or ADDON_VERSIONS.get(name, "v1.0.0-eksbuild.1"),
        service_account_role_arn=self._get_param("serviceAccountRoleArn"),
        configuration_values=self._get_param("configurationValues"),
        resolve_conflicts=self._get_param("resolveConflicts"),
        pod_identity_associations=[],
        tags=self._get_param("tags") or {},
    )
    addon.pod_identity_associations = _addon_pod_identities(
        backend, cluster, arn, self._get_param("podIdentityAssociations")
    )
    addon._gap_lifecycle = _Lifecycle()  # type: ignore[attr-defined]
    extras.addons[name] = addon
    return ActionResult({"addon": addon.view()})


def describe_addon(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    addon = _addon(cluster, self._get_param("addonName"))
    lc = _status_after_describe("addon", (addon.addon_name, f"{cluster.name}/{addon.addon_name}"), addon)
    _apply_eks_status("addon", addon, lc, addon.addon_name)
    return ActionResult({"addon": addon.view()})


def list_addons(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    names, token = paginated_list(
        list(_extras(cluster).addons), self._get_int_param("maxResults", 100), self._get_param("nextToken")
    )
    return ActionResult({"addons": names, "nextToken": token})


def update_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = _cluster(backend, self._get_param("name"))
    addon = _addon(cluster, self._get_param("addonName"))
    params: list[dict[str, str]] = []
    for key, attr in (
        ("addonVersion", "addon_version"),
        ("serviceAccountRoleArn", "service_account_role_arn"),
        ("configurationValues", "configuration_values"),
        ("resolveConflicts", "resolve_conflicts"),
    ):
        value = self._get_param(key)
        if value is not None:
            setattr(addon, attr, value)
            params.append({"type": key[0].upper() + key[1:], "value": str(value)})
    wanted = self._get_param("podIdentityAssociations")
    if wanted is not None:
        addon.pod_identity_associations = _addon_pod_identities(backend, cluster, addon.addon_arn, wanted)
        params.append({"type": "PodIdentityAssociations", "value": json.dumps(wanted)})
    addon.modified_at = utcnow()
    return ActionResult({"update": _update("AddonUpdate", params)})


def delete_addon(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = _cluster(backend, self._get_param("name"))
    addon = _addon(cluster, self._get_param("addonName"))
    _addon_pod_identities(backend, cluster, addon.addon_arn, None)
    del _extras(cluster).addons[addon.addon_name]
    addon.status = "DELETING"
    return ActionResult({"addon": addon.view()})


def describe_addon_versions(self: EKSResponse) -> ActionResult:
    wanted_name = self._get_param("addonName")
    k8s = self._get_param("kubernetesVersion")
    addons = []
    for name, version in ADDON_VERSIONS.items():
        if wanted_name and name != wanted_name:
            continue
        if k8s and k8s not in _COMPATIBLE_K8S:
            continue
        clusters = [k8s] if k8s else list(_COMPATIBLE_K8S)
        addons.append(
            {
                "addonName": name,
                "type": _ADDON_TYPES[name],
                "publisher": "eks",
                "owner": "aws",
                "addonVersions": [
                    {
                        "addonVersion": version,
                        "architecture": ["amd64", "arm64"],
                        "compatibilities": [
                            {"clusterVersion": v, "platformVersions": ["*"], "defaultVersion": True}
                            for v in clusters
                        ],
                        "requiresConfiguration": False,
                        "requiresIamPermissions": name in ("vpc-cni", "aws-ebs-csi-driver"),
                    }
                ],
            }
        )
    return ActionResult({"addons": addons})


# ----------------------------------------------------------------------------- access entries
def _access_config(cluster: Cluster) -> dict[str, Any]:
    config = getattr(cluster, "access_config", None)
    if config is None:
        config = {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
        cluster.access_config = config  # type: ignore[attr-defined]
    return config


def _require_api_mode(cluster: Cluster) -> None:
    if _access_config(cluster)["authenticationMode"] == "CONFIG_MAP":
        raise InvalidRequestException(
            message="The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
            "to perform this operation."
        )


def eks_authentication_mode(cluster: Cluster) -> str:
    """The cluster's ``accessConfig.authenticationMode`` (CONFIG_MAP unless set), for local authenticators."""
    return str(_access_config(cluster)["authenticationMode"])


def eks_access_entries(cluster: Cluster) -> dict[str, _AccessEntry]:
    """The cluster's access entries by principal ARN (live: read, never change)."""
    return _extras(cluster).access_entries


def _access_entry(cluster: Cluster, principal_arn: str) -> _AccessEntry:
    try:
        return _extras(cluster).access_entries[principal_arn]
    except KeyError:
        raise _not_found(
            f"The specified principalArn could not be found. You can view your available access entries "
            f"with 'list-access-entries'. ({principal_arn})",
            clusterName=cluster.name,
        ) from None


def create_access_entry(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = _cluster(backend, self._get_param("name"))
    _require_api_mode(cluster)
    principal = self._get_param("principalArn")
    match = _PRINCIPAL_RE.match(principal)
    if match is None:
        raise _invalid(
            f"The principalArn parameter format is not valid: {principal}", clusterName=cluster.name
        )
    if "/aws-service-role/" in principal:
        raise _invalid(
            "The principalArn parameter is not valid: access entries do not support service-linked roles "
            f"({principal}). Map the role through the aws-auth ConfigMap instead.",
            clusterName=cluster.name,
        )
    extras = _extras(cluster)
    if principal in extras.access_entries:
        raise _in_use(
            "The specified access entry resource is already in use on this cluster.", clusterName=cluster.name
        )
    entry_type = self._get_param("type") or "STANDARD"
    groups = self._get_param("kubernetesGroups") or []
    username = self._get_param("username")
    if entry_type == "STANDARD":
        bad = [g for g in groups if g.startswith("system:")]
        if bad:
            raise _invalid(f"kubernetesGroups must not start with 'system:': {bad}", clusterName=cluster.name)
        if username and re.match(r"^(system:|eks:|aws:|amazon:|iam:)", username):
            raise _invalid(f"username must not start with a reserved prefix: {username}")
    elif groups or username:
        raise _invalid(
            f"kubernetesGroups and username are not allowed for access entries of type {entry_type}"
        )
    account, kind, name = match.groups()
    if username is None:
        if entry_type == "STANDARD":
            username = (
                f"arn:{backend.partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}"
                if kind == "role"
                else principal
            )
        else:
            username = "system:node:{{EC2PrivateDNSName}}"
            groups = ["system:nodes"]
    arn = (
        f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:access-entry/"
        f"{cluster.name}/{kind}/{account}/{name}/{_uuid()}"
    )
    entry = _AccessEntry(
        cluster_name=cluster.name,
        principal_arn=principal,
        access_entry_arn=arn,
        kubernetes_groups=groups,
        username=username,
        type=entry_type,
        tags=self._get_param("tags") or {},
    )
    extras.access_entries[principal] = entry
    return ActionResult({"accessEntry": entry.view()})


def describe_access_entry(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({"accessEntry": _access_entry(cluster, self._get_param("principalArn")).view()})


def update_access_entry(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    groups = self._get_param("kubernetesGroups")
    username = self._get_param("username")
    if groups is not None:
        entry.kubernetes_groups = groups
    if username is not None:
        entry.username = username
    entry.modified_at = utcnow()
    return ActionResult({"accessEntry": entry.view()})


def list_access_entries(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    policy = self._get_param("associatedPolicyArn")
    principals = [
        p for p, e in _extras(cluster).access_entries.items() if policy is None or policy in e.policies
    ]
    page, token = paginated_list(
        principals, self._get_int_param("maxResults", 100), self._get_param("nextToken")
    )
    return ActionResult({"accessEntries": page, "nextToken": token})


def delete_access_entry(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    del _extras(cluster).access_entries[entry.principal_arn]
    return EmptyResult()


def associate_access_policy(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = _cluster(backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    policy_arn = self._get_param("policyArn")
    known = {_POLICY_ARN.format(partition=backend.partition, name=n) for n in ACCESS_POLICIES}
    if policy_arn not in known:
        raise _not_found(
            f"The specified policyArn could not be found: {policy_arn}", clusterName=cluster.name
        )
    scope = self._get_param("accessScope") or {}
    namespaces = scope.get("namespaces") or []
    if scope.get("type") == "namespace" and not namespaces:
        raise _invalid("accessScope.namespaces is required when accessScope.type is namespace")
    if scope.get("type") == "cluster" and namespaces:
        raise _invalid("accessScope.namespaces must be empty when accessScope.type is cluster")
    now = utcnow()
    previous = entry.policies.get(policy_arn)
    associated = {
        "policyArn": policy_arn,
        "accessScope": {"type": scope.get("type"), "namespaces": namespaces},
        "associatedAt": previous["associatedAt"] if previous else now,
        "modifiedAt": now,
    }
    entry.policies[policy_arn] = associated
    return ActionResult(
        {
            "clusterName": cluster.name,
            "principalArn": entry.principal_arn,
            "associatedAccessPolicy": associated,
        }
    )


def list_associated_access_policies(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    return ActionResult(
        {
            "clusterName": cluster.name,
            "principalArn": entry.principal_arn,
            "associatedAccessPolicies": list(entry.policies.values()),
        }
    )


def disassociate_access_policy(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    entry = _access_entry(cluster, self._get_param("principalArn"))
    policy_arn = self._get_param("policyArn")
    if entry.policies.pop(policy_arn, None) is None:
        raise _not_found(
            f"The specified policy {policy_arn} is not associated with {entry.principal_arn}",
            clusterName=cluster.name,
        )
    return EmptyResult()


def list_access_policies(self: EKSResponse) -> ActionResult:
    partition = self.eks_backend.partition
    return ActionResult(
        {
            "accessPolicies": [
                {"name": n, "arn": _POLICY_ARN.format(partition=partition, name=n)} for n in ACCESS_POLICIES
            ]
        }
    )


# ----------------------------------------------------------------------------- pod identity
def _new_pod_identity(
    backend: EKSBackend,
    cluster: Cluster,
    namespace: str,
    service_account: str,
    role_arn: str,
    tags: dict[str, str],
    disable_session_tags: bool,
    target_role_arn: str | None,
) -> _PodIdentity:
    extras = _extras(cluster)
    for existing in extras.pod_identities.values():
        if (existing.namespace, existing.service_account) == (namespace, service_account):
            raise _in_use(
                f"Association already exists: {existing.association_id} for namespace {namespace} "
                f"and service account {service_account}",
                clusterName=cluster.name,
            )
    association_id = "a-" + random.get_random_string(17, lower_case=True)
    pid = _PodIdentity(
        cluster_name=cluster.name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role_arn,
        association_id=association_id,
        association_arn=(
            f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:"
            f"podidentityassociation/{cluster.name}/{association_id}"
        ),
        tags=tags,
        disable_session_tags=disable_session_tags,
        target_role_arn=target_role_arn,
    )
    extras.pod_identities[association_id] = pid
    return pid


def _pod_identity(cluster: Cluster, association_id: str) -> _PodIdentity:
    try:
        return _extras(cluster).pod_identities[association_id]
    except KeyError:
        raise _not_found(f"Association not found: {association_id}", clusterName=cluster.name) from None


def create_pod_identity_association(self: EKSResponse) -> ActionResult:
    backend = self.eks_backend
    cluster = _cluster(backend, self._get_param("name"))
    pid = _new_pod_identity(
        backend,
        cluster,
        self._get_param("namespace"),
        self._get_param("serviceAccount"),
        self._get_param("roleArn"),
        self._get_param("tags") or {},
        bool(self._get_param("disableSessionTags", False)),
        self._get_param("targetRoleArn"),
    )
    return ActionResult({"association": pid.view()})


def describe_pod_identity_association(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    return ActionResult({"association": _pod_identity(cluster, self._get_param("associationId")).view()})


def list_pod_identity_associations(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    namespace = self._get_param("namespace")
    service_account = self._get_param("serviceAccount")
    found = [
        p.summary()
        for p in _extras(cluster).pod_identities.values()
        if (namespace is None or p.namespace == namespace)
        and (service_account is None or p.service_account == service_account)
    ]
    return ActionResult({"associations": found})


def delete_pod_identity_association(self: EKSResponse) -> ActionResult:
    cluster = _cluster(self.eks_backend, self._get_param("name"))
    pid = _pod_identity(cluster, self._get_param("associationId"))
    del _extras(cluster).pod_identities[pid.association_id]
    return ActionResult({"association": pid.view()})


# ----------------------------------------------------------------------------- a real API server per cluster
class EksControlPlane(Protocol):
    """Runs a local Kubernetes API server per EKS cluster (local/kubernetes/eks.py)."""

    def launch(self, account: str, region: str, name: str) -> tuple[str, str]:
        """Start the cluster's server if it is not running (without waiting); its (endpoint, CA PEM)."""

    def ready(self, account: str, region: str, name: str) -> tuple[str, str]:
        """As launch, then wait until the server answers."""

    def stop(self, account: str, region: str, name: str) -> None: ...

    def node_group_nodes(
        self, account: str, region: str, cluster: str, node_group: str, count: int, instance_type: str
    ) -> None:
        """Register (count > 0) or remove (count 0) a managed node group's nodes as Kubernetes Nodes."""


_CONTROL_PLANE: EksControlPlane | None = None


def use_eks_control_plane(plane: EksControlPlane | None) -> None:
    """Answer EKS clusters' endpoint and CA from ``plane`` (None: moto's fake ones, the default)."""
    global _CONTROL_PLANE
    _CONTROL_PLANE = plane


def _answer_with_control_plane(backend: EKSBackend, cluster: Cluster, *, wait: bool) -> None:
    """Put the local API server's endpoint and CA (base64 of the PEM, as EKS gives it) on the cluster."""
    plane = _CONTROL_PLANE
    if plane is None:
        return
    reach = plane.ready if wait else plane.launch
    try:
        endpoint, ca_pem = reach(backend.account_id, backend.region_name, cluster.name)
    except RuntimeError as error:  # the server did not start: the cluster failed, saying why
        cluster.status = "FAILED"
        cluster.health = _issue("InternalFailure", str(error)[-2000:], [cluster.name])  # type: ignore[attr-defined]
        return
    cluster.endpoint = endpoint
    cluster.certificate_authority = {"data": base64.b64encode(ca_pem.encode()).decode()}


def _node_group_nodes(backend: EKSBackend, ng: Any, count: int) -> None:
    """A managed node group's instances join the cluster once it is ACTIVE (and leave when it is deleted),
    as ``kubectl get nodes`` shows them on EKS."""
    if _CONTROL_PLANE is not None:
        instance_type = (ng.instance_types or ["m5.large"])[0]
        _CONTROL_PLANE.node_group_nodes(
            backend.account_id, backend.region_name, ng.cluster_name, ng.nodegroup_name, count, instance_type
        )


# ----------------------------------------------------------------------------- cluster/nodegroup status
def _patch_eks_lifecycle(cls: type[EKSResponse]) -> None:
    create_cluster = cls.create_cluster
    describe_cluster = cls.describe_cluster
    delete_cluster = cls.delete_cluster
    update_cluster_config = cls.update_cluster_config
    create_nodegroup = cls.create_nodegroup
    describe_nodegroup = cls.describe_nodegroup
    delete_nodegroup = cls.delete_nodegroup

    def create_cluster_(self: EKSResponse) -> ActionResult:
        result = create_cluster(self)
        cluster = result.result["cluster"]  # type: ignore[index]
        given = self._get_param("accessConfig") or {}
        cluster.access_config = {
            "authenticationMode": given.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": given.get(
                "bootstrapClusterCreatorAdminPermissions", True
            ),
        }
        cluster.status = "CREATING"
        cluster.health = {"issues": []}
        cluster._gap_lifecycle = _Lifecycle()
        _answer_with_control_plane(self.eks_backend, cluster, wait=False)  # boots while CREATING
        return result

    def describe_cluster_(self: EKSResponse) -> ActionResult:
        result = describe_cluster(self)
        cluster = result.result["cluster"]  # type: ignore[index]
        _access_config(cluster)
        lc = _status_after_describe("cluster", (cluster.name,), cluster)
        _apply_eks_status("cluster", cluster, lc, cluster.name)
        _answer_with_control_plane(self.eks_backend, cluster, wait=cluster.status == "ACTIVE")
        return result

    def delete_cluster_(self: EKSResponse) -> ActionResult:
        result = delete_cluster(self)
        cluster = result.result["cluster"]  # type: ignore[index]
        cluster.status = "DELETING"
        if _CONTROL_PLANE is not None:
            _CONTROL_PLANE.stop(self.eks_backend.account_id, self.eks_backend.region_name, cluster.name)
        return result

    def update_cluster_config_(self: EKSResponse) -> ActionResult:
        given = self._get_param("accessConfig")
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        if not given:
            return update_cluster_config(self)
        current = _access_config(cluster)["authenticationMode"]
        wanted = given.get("authenticationMode", current)
        order = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]
        if order.index(wanted) < order.index(current):
            raise _invalid(f"Unsupported authentication mode update from {current} to {wanted}")
        cluster.access_config["authenticationMode"] = wanted  # type: ignore[attr-defined]
        params = [{"type": "AuthenticationMode", "value": wanted}]
        return ActionResult({"update": _update("AccessConfigUpdate", params)})

    def create_nodegroup_(self: EKSResponse) -> ActionResult:
        result = create_nodegroup(self)
        nodegroup = result.result["nodegroup"]  # type: ignore[index]
        nodegroup.status = "CREATING"
        nodegroup.health = {"issues": []}
        nodegroup._gap_lifecycle = _Lifecycle()
        return result

    def describe_nodegroup_(self: EKSResponse) -> ActionResult:
        result = describe_nodegroup(self)
        ng = result.result["nodegroup"]  # type: ignore[index]
        names = (ng.nodegroup_name, f"{ng.cluster_name}/{ng.nodegroup_name}")
        lc = _status_after_describe("nodegroup", names, ng)
        _apply_eks_status("nodegroup", ng, lc, ng.nodegroup_name)
        if ng.status == "ACTIVE" and not getattr(ng, "_gap_nodes_joined", False):
            _node_group_nodes(self.eks_backend, ng, int((ng.scaling_config or {}).get("desiredSize", 0)))
            ng._gap_nodes_joined = True
        return result

    def delete_nodegroup_(self: EKSResponse) -> ActionResult:
        result = delete_nodegroup(self)
        ng = result.result["nodegroup"]  # type: ignore[index]
        ng.status = "DELETING"
        _node_group_nodes(self.eks_backend, ng, 0)
        return result

    cls.create_cluster = create_cluster_  # type: ignore[method-assign]
    cls.describe_cluster = describe_cluster_  # type: ignore[method-assign]
    cls.delete_cluster = delete_cluster_  # type: ignore[method-assign]
    cls.update_cluster_config = update_cluster_config_  # type: ignore[method-assign]
    cls.create_nodegroup = create_nodegroup_  # type: ignore[method-assign]
    cls.describe_nodegroup = describe_nodegroup_  # type: ignore[method-assign]
    cls.delete_nodegroup = delete_nodegroup_  # type: ignore[method-assign]


_EKS_OPERATIONS: dict[str, Callable[[EKSResponse], ActionResult]] = {
    "create_addon": create_addon,
    "describe_addon": describe_addon,
    "list_addons": list_addons,
    "update_addon": update_addon,
    "delete_addon": delete_addon,
    "describe_addon_versions": describe_addon_versions,
    "create_access_entry": create_access_entry,
    "describe_access_entry": describe_access_entry,
    "update_access_entry": update_access_entry,
    "list_access_entries": list_access_entries,
    "delete_access_entry": delete_access_entry,
    "associate_access_policy": associate_access_policy,
    "list_associated_access_policies": list_associated_access_policies,
    "disassociate_access_policy": disassociate_access_policy,
    "list_access_policies": list_access_policies,
    "create_pod_identity_association": create_pod_identity_association,
    "describe_pod_identity_association": describe_pod_identity_association,
    "list_pod_identity_associations": list_pod_identity_associations,
    "delete_pod_identity_association": delete_pod_identity_association,
}

# Flask only needs to hand these paths to EKSResponse.dispatch; the operation itself is found from
# botocore's model. ARNs in paths arrive with their slashes decoded, hence the greedy tails.
_EKS_PATHS = (
    "{0}/addons/supported-versions$",
    "{0}/access-policies$",
    "{0}/clusters/(?P<name>[^/]+)/addons$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<accessEntryPath>.+)$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
)


# --------------------------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------------------------
_BATCH_SLR = "AWSServiceRoleForBatch"


def _batch_service_linked_role(account_id: str, region: str) -> str:
    """The Batch service-linked role's ARN, created when missing (as Batch itself does)."""
    backend = batch_backends[account_id][region]
    iam = iam_models.iam_backends[account_id][backend.partition]
    for role in list(iam.roles.values()):
        if role.name.lower() == _BATCH_SLR.lower():
            return str(role.arn)
    return str(iam.create_service_linked_role("batch.amazonaws.com", "", "").arn)


def _patch_batch(cls: type[BatchResponse]) -> None:
    create_ce = cls.createcomputeenvironment
    describe_ce = cls.describecomputeenvironments
    create_jq = cls.createjobqueue
    describe_jq = cls.describejobqueues
    update_jq = cls.updatejobqueue

    def createcomputeenvironment(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        if not self._get_param("serviceRole"):
            role = _batch_service_linked_role(self.current_account, self.region)
            body = json.loads(self.body or "{}")
            body["serviceRole"] = role
            self.body = json.dumps(body)
        out = create_ce(self)
        env = backend.get_compute_environment_by_arn(json.loads(out)["computeEnvironmentArn"])
        eks = self._get_param("eksConfiguration")
        if env is not None:
            env._gap_eks_configuration = eks  # type: ignore[attr-defined]
            env._gap_lifecycle = _Lifecycle()  # type: ignore[attr-defined]
        return out

    def describecomputeenvironments(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        out = json.loads(describe_ce(self))
        for item in out["computeEnvironments"]:
            env = backend.get_compute_environment_by_arn(item["computeEnvironmentArn"])
            if env is None:
                continue
            lc = _status_after_describe("compute-environment", (env.name,), env)
            if lc.phase == "creating":
                item["status"], item["statusReason"] = "CREATING", "Compute environment is being created"
            elif lc.phase == "failed":
                item["status"], item["statusReason"] = "INVALID", lc.reason
            eks = getattr(env, "_gap_eks_configuration", None)
            if eks:
                item["eksConfiguration"] = eks
                item["containerOrchestrationType"] = "EKS"
                item.pop("ecsClusterArn", None)
            else:
                item["containerOrchestrationType"] = "ECS"
        return json.dumps(out)

    def _keep_actions(self: BatchResponse, out: str) -> str:
        actions = self._get_param("jobStateTimeLimitActions")
        if actions is not None:
            backend = batch_backends[self.current_account][self.region]
            queue = backend.get_job_queue(json.loads(out)["jobQueueArn"])
            if queue is not None:
                queue._gap_time_limit_actions = actions  # type: ignore[attr-defined]
        return out

    def createjobqueue(self: BatchResponse) -> str:
        return _keep_actions(self, create_jq(self))

    def updatejobqueue(self: BatchResponse) -> str:
        return _keep_actions(self, update_jq(self))

    def describejobqueues(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        out = json.loads(describe_jq(self))
        for item in out["jobQueues"]:
            queue = backend.get_job_queue(item["jobQueueArn"])
            actions = getattr(queue, "_gap_time_limit_actions", None)
            if actions is not None:
                item["jobStateTimeLimitActions"] = actions
        return json.dumps(out)

    cls.createcomputeenvironment = createcomputeenvironment  # type: ignore[method-assign]
    cls.describecomputeenvironments = describecomputeenvironments  # type: ignore[method-assign]
    cls.createjobqueue = createjobqueue  # type: ignore[method-assign]
    cls.updatejobqueue = updatejobqueue  # type: ignore[method-assign]
    cls.describejobqueues = describejobqueues  # type: ignore[method-assign]


def eks_namespace_for_queue(account_id: str, region: str, queue_arn_or_name: str) -> tuple[str, str] | None:
    """(eksClusterArn, kubernetesNamespace) of the queue's first compute environment if it is EKS."""
    backend = batch_backends[account_id][region]
    queue = backend.get_job_queue(queue_arn_or_name)
    if queue is None or not queue.environments:
        return None
    eks = getattr(queue.environments[0], "_gap_eks_configuration", None)
    if not eks:
        return None
    return str(eks["eksClusterArn"]), str(eks["kubernetesNamespace"])


# --------------------------------------------------------------------------------------------
# Step Functions: StartExecution without a name (AWS names the execution with a UUID; moto used "None")
# --------------------------------------------------------------------------------------------
_start_execution = StepFunctionsParserBackend.start_execution


def _start_execution_named(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: Any = None,
    execution_input: Any = None,
    trace_header: Any = None,
) -> Any:
    return _start_execution(
        self, state_machine_arn, name or str(random.uuid4()), execution_input, trace_header
    )


# --------------------------------------------------------------------------------------------
# Step Functions: a task token answered while the task's Lambda still runs. On AWS the token is live
# from the moment the task is scheduled; moto sets up a task's heartbeat endpoint only once the Lambda
# has returned, and its heartbeat wait then ignores the outcome already received: the task lapsed.
# --------------------------------------------------------------------------------------------
_setup_heartbeat_endpoint = CallbackEndpoint.setup_heartbeat_endpoint


def _setup_heartbeat_endpoint_after_outcome(
    self: CallbackEndpoint, heartbeat_seconds: int
) -> HeartbeatEndpoint:
    endpoint = _setup_heartbeat_endpoint(self, heartbeat_seconds)
    if self.get_outcome() is not None:
        endpoint.notify()  # the heartbeat wait wakes at once and reads the outcome
    return endpoint


# --------------------------------------------------------------------------------------------
# Routing a query-string-signed (presigned) request, such as the STS GetCallerIdentity URL inside an EKS
# token: moto's server reads the service from the Authorization header only, and sends a presigned GET to
# S3. Its credential scope (X-Amz-Credential=<key>/<date>/<region>/<service>/aws4_request) names the service.
# --------------------------------------------------------------------------------------------
_infer_service_region_host = DomainDispatcherApplication.infer_service_region_host


def _infer_presigned_service(self: DomainDispatcherApplication, environ: dict[str, Any], path: str) -> Any:
    if not environ.get("HTTP_AUTHORIZATION"):
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
        if credential:
            environ = {**environ, "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={credential[0]}, x"}
    return _infer_service_region_host(self, environ, path)


_get_access_key = BaseResponse.get_access_key


def _access_key_of_presigned(self: BaseResponse) -> str:
    """The access key of a presigned request is the first part of its X-Amz-Credential."""
    if "Authorization" not in self.headers:
        credential = parse_qs(self.parsed_url.query).get("X-Amz-Credential")
        if credential:
            return credential[0].split("/")[0]
    return str(_get_access_key(self))


# --------------------------------------------------------------------------------------------
# install
# --------------------------------------------------------------------------------------------
_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Patch moto (idempotent; call before the server handles its first request)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        for method_name, function in _EKS_OPERATIONS.items():
            setattr(EKSResponse, method_name, function)
        _patch_eks_lifecycle(EKSResponse)
        _patch_batch(BatchResponse)
        setattr(StepFunctionsParserBackend, "start_execution", _start_execution_named)  # noqa: B010
        setattr(DomainDispatcherApplication, "infer_service_region_host", _infer_presigned_service)  # noqa: B010
        setattr(BaseResponse, "get_access_key", _access_key_of_presigned)  # noqa: B010
        setattr(CallbackEndpoint, "setup_heartbeat_endpoint", _setup_heartbeat_endpoint_after_outcome)  # noqa: B010
        # CreateServiceLinkedRole names roles from the service: AWS spells these two this way
        iam_models.SERVICE_NAME_CONVERSION.setdefault("batch", "Batch")
        iam_models.SERVICE_NAME_CONVERSION.setdefault("eks", "AmazonEKS")
        EKSResponse.call_action = _with_validation("eks", EKSResponse.call_action)  # type: ignore[method-assign]
        BatchResponse.call_action = _with_validation("batch", BatchResponse.call_action)  # type: ignore[method-assign]
        for path in _EKS_PATHS:
            eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)
        _installed = True
