"""What the EKS gaps share: the cluster a request names, EKS's error answers and update records, the records a
gap keeps on moto's cluster, a resource's status from its readiness, and how a gap adds an operation to
moto's EKS API or acts on the answer of one of moto's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import InvalidParameterException, ResourceInUseException, ResourceNotFoundException
from moto.eks.models import Cluster, EKSBackend
from moto.eks.responses import EKSResponse
from moto.moto_api._internal import mock_random as random

from local.embedded_aws.moto_gaps.readiness import Lifecycle

Operation = Callable[[EKSResponse], ActionResult]

# kind -> (creating, ready, failed) status, as EKS names them
_STATUSES = {
    "cluster": ("CREATING", "ACTIVE", "FAILED"),
    "nodegroup": ("CREATING", "ACTIVE", "CREATE_FAILED"),
    "addon": ("CREATING", "ACTIVE", "CREATE_FAILED"),
}


def not_found(message: str, **ids: str | None) -> ResourceNotFoundException:
    base: dict[str, str | None] = {
        "clusterName": None,
        "nodegroupName": None,
        "fargateProfileName": None,
        "addonName": None,
    }
    return ResourceNotFoundException(**{**base, **ids, "message": message})


def in_use(message: str, **ids: str | None) -> ResourceInUseException:
    base: dict[str, str | None] = {"clusterName": None, "nodegroupName": None, "addonName": None}
    return ResourceInUseException(**{**base, **ids, "message": message})


def invalid(message: str, **ids: str | None) -> InvalidParameterException:
    return InvalidParameterException(**{**ids, "message": message})


def cluster_named(backend: EKSBackend, name: str) -> Cluster:
    try:
        return backend.clusters[name]
    except KeyError:
        raise not_found(f"No cluster found for name: {name}.", clusterName=name) from None


def new_id() -> str:
    return str(random.uuid4())


def update_record(update_type: str, params: list[dict[str, str]]) -> dict[str, Any]:
    created: datetime = utcnow()
    return {
        "id": new_id(),
        "status": "Successful",
        "type": update_type,
        "params": params,
        "createdAt": created,
        "errors": [],
    }


def health_issue(code: str, message: str, resource_ids: list[str]) -> dict[str, Any]:
    return {"issues": [{"code": code, "message": message, "resourceIds": resource_ids}]}


def apply_status(kind: str, resource: Any, lifecycle: Lifecycle, resource_id: str) -> None:
    """Set the EKS status of ``kind`` that the resource's readiness has reached (and why it failed)."""
    creating, ready, failed = _STATUSES[kind]
    if lifecycle.phase == "creating":
        resource.status = creating
    elif lifecycle.phase == "ready":
        if resource.status == creating:
            resource.status = ready
    elif resource.status != failed:
        resource.status = failed
        resource.health = health_issue("InternalFailure", lifecycle.reason or "", [resource_id])


def cluster_records(cluster: Cluster, kind: str) -> dict[str, Any]:
    """The records of one kind a gap keeps on moto's cluster (its add-ons, access entries...), by id: moto's
    Cluster has no place for them."""
    records: dict[str, Any] = cluster.__dict__.setdefault(f"_gap_{kind}", {})
    return records


def add_operations(operations: dict[str, Operation], paths: tuple[str, ...]) -> None:
    """Add operations to moto's EKS API. The server only needs to hand each path to ``EKSResponse.dispatch``,
    which finds the operation from botocore's model; ARNs in paths arrive with their slashes decoded, hence
    greedy tails."""
    for name, operation in operations.items():
        setattr(EKSResponse, name, operation)
    for path in paths:
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)


def after(operation: str, then: Callable[[EKSResponse, Any], None]) -> None:
    """Have ``then(request, resource)`` see what moto's EKS ``operation`` (``create_cluster``...) answers
    about its resource (the answer's one entry: the cluster or node group), before it is sent."""
    original: Operation = getattr(EKSResponse, operation)

    def patched(self: EKSResponse) -> ActionResult:
        result = original(self)
        (resource,) = cast(dict[str, Any], result.result).values()
        then(self, resource)
        return result

    setattr(EKSResponse, operation, patched)


def before(operation: str, check: Callable[[EKSResponse], None]) -> None:
    """Have ``check(request)`` refuse a request of moto's EKS ``operation`` (by raising EKS's error) before
    moto acts on it: the checks AWS makes that moto does not."""
    original: Operation = getattr(EKSResponse, operation)

    def patched(self: EKSResponse) -> ActionResult:
        check(self)
        return original(self)

    setattr(EKSResponse, operation, patched)
