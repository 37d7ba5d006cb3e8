"""Give AWS Batch access to the cluster (provisioning's Kubernetes step), and take it back (teardown).

What Batch needs (the blueprint's RBAC and aws-auth parts): the Batch namespace; a ClusterRole to read
nodes, pods and workloads cluster-wide and a Role to run pods in the namespace, both bound to the user
``aws-batch``; and, in the ``aws-auth`` access mode, aws-auth entries that map Batch's service-linked role to
that user and its instance role to a node (we cannot give a service-linked role an access entry). In the
``batch-access-entry`` mode aws-auth is neither read nor written: Batch's own access entry makes it
``aws-batch``, and the Kubernetes step gives the instance role an ``EC2_LINUX`` entry
(:mod:`.kubernetes_steps`).

Re-running converges and never duplicates: each object is created, or else read and replaced only when
it differs (a second run writes nothing). What we created carries an annotation, and the aws-auth
entries we added are listed in one on aws-auth, so every run returns the same record of what is ours
and teardown removes exactly that: objects we created, entries we added; never what was there before.
"""

from __future__ import annotations

import re
from typing import Any

from batch_on_eks.aws.kubernetes import KubernetesApi
from batch_on_eks.environments.aws_auth import add_to_aws_auth, batch_mappings, remove_from_aws_auth
from batch_on_eks.environments.kubernetes_objects import RBAC, apply, delete_created
from batch_on_eks.errors import InvalidInput
from batch_on_eks.observability import logger

BATCH_USER = "aws-batch"
CLUSTER_ROLE = "aws-batch-cluster-role"
CLUSTER_ROLE_BINDING = "aws-batch-cluster-role-binding"
NAMESPACE_ROLE = "aws-batch-compute-environment-role"
NAMESPACE_ROLE_BINDING = "aws-batch-compute-environment-role-binding"
# What jobs run as: EKS Pod Identity gives it the stack's job role (the Kubernetes step associates them).
JOB_SERVICE_ACCOUNT = "aws-batch-job"

_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_ACCOUNT = re.compile(r"\d{12}")
_PARTITION = re.compile(r"aws(?:-[a-z]+)*")


def grant_batch_access(
    api: KubernetesApi,
    namespace: str,
    account_id: str,
    partition: str,
    batch_instance_role_arn: str,
    *,
    aws_auth: bool = True,
) -> dict[str, Any]:
    """Namespace, RBAC and (when ``aws_auth``) aws-auth entries for AWS Batch; returns the JSON-safe record
    of what is ours (per object: created by us, or there before and only brought up to date; the aws-auth
    entries we added), which :func:`revoke_batch_access` takes."""
    _check_namespace(namespace)
    if not _ACCOUNT.fullmatch(account_id):
        raise InvalidInput.field("accountId", f"a 12-digit AWS account id (got {account_id!r})")
    if not _PARTITION.fullmatch(partition):
        raise InvalidInput.field("partition", f"an AWS partition such as aws (got {partition!r})")
    try:
        mappings = batch_mappings(account_id, partition, batch_instance_role_arn)
    except ValueError as error:
        raise InvalidInput.field("batchInstanceRoleArn", str(error)) from error

    objects = [apply(api, manifest) for manifest in batch_rbac_manifests(namespace)]
    record: dict[str, Any] = {"namespace": namespace, "objects": objects}
    if aws_auth:
        record["awsAuth"] = add_to_aws_auth(api, mappings)
    logger.info("Batch access granted", extra={"clusterAccess": record})
    return record


def revoke_batch_access(api: KubernetesApi, record: dict[str, Any]) -> None:
    """Remove what ``record`` says we wrote: our aws-auth entries first (Batch loses access at once), then
    the objects we created, newest first. Objects that were there before us stay; gone already is fine."""
    if record.get("awsAuth"):  # none in the batch-access-entry mode: aws-auth is not even read
        remove_from_aws_auth(api, record["awsAuth"])
    for entry in reversed(record.get("objects") or []):
        delete_created(api, entry)


def batch_rbac_manifests(namespace: str) -> list[dict[str, Any]]:
    """The namespace, the jobs' service account and the RBAC objects of the blueprint, in the order they are
    created."""
    rbac = f"{RBAC}/v1"
    user = [{"kind": "User", "apiGroup": RBAC, "name": BATCH_USER}]
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": JOB_SERVICE_ACCOUNT, "namespace": namespace},
            # A job needs no Kubernetes API: no token is mounted into its pod.
            "automountServiceAccountToken": False,
        },
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
