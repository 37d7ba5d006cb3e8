"""AWS Batch's own EKS access entry (``eksConfiguration.accessEntry``), which moto lacks, as the Batch API
reference documents ``EksAccessEntry`` and ``EksConfigurationUpdate``
(https://docs.aws.amazon.com/batch/latest/APIReference/API_EksAccessEntry.html):

- each EKS compute environment records the ``desiredState`` it was created or updated with (none when not
  given: Batch then behaves as for INHERIT_FROM_CLUSTER, and describes no ``desiredState``);
- DISABLED is refused on a cluster whose ``authenticationMode`` is ``API`` (it has no aws-auth);
- Batch compares the states of every compute environment on the cluster: it creates its entry only when all
  of them are ENABLED, deletes it only when all are DISABLED, and otherwise leaves it as it is;
  INHERIT_FROM_CLUSTER counts as ENABLED on an ``API`` cluster and as neither on the others;
- DescribeComputeEnvironments answers ``accessEntry.status``: ACTIVE while the entry exists, else INACTIVE.

The entry maps Batch's service-linked role to the Kubernetes user ``aws-batch`` (the user Batch's RBAC on EKS
is written for), type STANDARD, no groups, no access policy; the local API servers' webhook authenticates
Batch through it (:mod:`local.kubernetes.eks_identities`).

Not in the reference, and so chosen here (docs/architecture.md says so): ENABLED on a ``CONFIG_MAP`` cluster,
which has no access entries, is refused; deleting a compute environment reconciles the ones left, and when
none is left the entry stays (whoever made the compute environments deletes it with DeleteAccessEntry).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.batch.exceptions import ClientException
from moto.batch.models import ComputeEnvironment, batch_backends
from moto.batch.responses import BatchResponse
from moto.eks.models import Cluster, eks_backends

from local.embedded_aws.moto_gaps.batch import batch_service_linked_role
from local.embedded_aws.moto_gaps.eks_access_entries import (
    AccessEntry,
    access_entries,
    access_entry_arn,
    authentication_mode,
)

BATCH_USERNAME = "aws-batch"
STATES = ("ENABLED", "DISABLED", "INHERIT_FROM_CLUSTER")


def _cluster(account: str, region: str, cluster_arn: str) -> Cluster | None:
    found: Cluster | None = eks_backends[account][region].clusters.get(cluster_arn.rsplit("/", 1)[-1])
    return found


def _eks_configuration(environment: ComputeEnvironment) -> dict[str, Any] | None:
    found: dict[str, Any] | None = getattr(environment, "_gap_eks_configuration", None)
    return found


def _check(cluster: Cluster | None, state: str | None) -> None:
    """Batch's refusals of a ``desiredState`` for the cluster's authentication mode."""
    if cluster is None or state is None:
        return
    mode = authentication_mode(cluster)
    if state == "DISABLED" and mode == "API":
        raise ClientException(
            "accessEntry.desiredState DISABLED is not supported for a cluster whose authenticationMode is "
            "API: such a cluster has no aws-auth ConfigMap"
        )
    if state == "ENABLED" and mode == "CONFIG_MAP":
        raise ClientException(
            "accessEntry.desiredState ENABLED needs a cluster whose authenticationMode is API or "
            "API_AND_CONFIG_MAP: a CONFIG_MAP cluster has no access entries"
        )


def _wanted(state: str | None, mode: str) -> str | None:
    """What one compute environment asks of the entry: "present", "absent" or nothing."""
    if state == "ENABLED" or (state in (None, "INHERIT_FROM_CLUSTER") and mode == "API"):
        return "present"
    if state == "DISABLED":
        return "absent"
    return None


def reconcile(account: str, region: str, cluster_arn: str) -> None:
    """Create or delete Batch's entry on the cluster when every compute environment on it agrees."""
    cluster = _cluster(account, region, cluster_arn)
    if cluster is None:
        return
    backend = batch_backends[account][region]
    mode = authentication_mode(cluster)
    wishes = {
        _wanted(configuration.get("accessEntry", {}).get("desiredState"), mode)
        for environment in list(backend._compute_environments.values())
        if (configuration := _eks_configuration(environment)) is not None
        and configuration.get("eksClusterArn") == cluster_arn
    }
    entries = access_entries(cluster)
    principal = batch_service_linked_role(account, region)
    if wishes == {"present"} and principal not in entries:
        entries[principal] = AccessEntry(
            cluster_name=cluster.name,
            principal_arn=principal,
            access_entry_arn=access_entry_arn(cluster, principal, account, region),
            kubernetes_groups=[],
            username=BATCH_USERNAME,
            type="STANDARD",
            tags={},
        )
    elif wishes == {"absent"}:
        entries.pop(principal, None)


def _described(account: str, region: str, item: dict[str, Any]) -> None:
    configuration = item.get("eksConfiguration")
    if not configuration:
        return
    cluster = _cluster(account, region, str(configuration.get("eksClusterArn")))
    present = cluster is not None and batch_service_linked_role(account, region) in access_entries(cluster)
    entry = {**configuration.get("accessEntry", {}), "status": "ACTIVE" if present else "INACTIVE"}
    item["eksConfiguration"] = {**configuration, "accessEntry": entry}


def install() -> None:
    """Wrap Batch's compute environment operations (after :mod:`.batch` keeps ``eksConfiguration``)."""
    cls = BatchResponse
    create: Callable[[BatchResponse], str] = cls.createcomputeenvironment
    update: Callable[[BatchResponse], str] = cls.updatecomputeenvironment
    delete: Callable[[BatchResponse], str] = cls.deletecomputeenvironment
    describe: Callable[[BatchResponse], str] = cls.describecomputeenvironments

    def createcomputeenvironment(self: BatchResponse) -> str:
        configuration = self._get_param("eksConfiguration")
        if configuration:
            cluster = _cluster(self.current_account, self.region, str(configuration.get("eksClusterArn")))
            _check(cluster, (configuration.get("accessEntry") or {}).get("desiredState"))
        out = create(self)
        if configuration:
            reconcile(self.current_account, self.region, str(configuration["eksClusterArn"]))
        return out

    def updatecomputeenvironment(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        environment = backend.get_compute_environment(self._get_param("computeEnvironment"))
        wanted = ((self._get_param("eksConfiguration") or {}).get("accessEntry") or {}).get("desiredState")
        configuration = _eks_configuration(environment) if environment is not None else None
        if wanted is not None and configuration is None:
            raise ClientException("eksConfiguration.accessEntry applies only to an EKS compute environment")
        if configuration is not None and wanted is not None:
            _check(_cluster(self.current_account, self.region, configuration["eksClusterArn"]), wanted)
        out = update(self)
        if configuration is not None and wanted is not None:
            configuration["accessEntry"] = {"desiredState": wanted}
            reconcile(self.current_account, self.region, configuration["eksClusterArn"])
        return out

    def deletecomputeenvironment(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        environment = backend.get_compute_environment(self._get_param("computeEnvironment"))
        configuration = _eks_configuration(environment) if environment is not None else None
        out = delete(self)
        if configuration is not None:
            reconcile(self.current_account, self.region, configuration["eksClusterArn"])
        return out

    def describecomputeenvironments(self: BatchResponse) -> str:
        out = json.loads(describe(self))
        for item in out["computeEnvironments"]:
            _described(self.current_account, self.region, item)
        return json.dumps(out)

    cls.createcomputeenvironment = createcomputeenvironment  # type: ignore[method-assign]
    cls.updatecomputeenvironment = updatecomputeenvironment  # type: ignore[method-assign]
    cls.deletecomputeenvironment = deletecomputeenvironment  # type: ignore[method-assign]
    cls.describecomputeenvironments = describecomputeenvironments  # type: ignore[method-assign]
