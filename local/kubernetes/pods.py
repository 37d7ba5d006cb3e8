"""What AWS Batch does in a job's EKS cluster, against the cluster's real API server.

Batch reaches a cluster with an EKS token signed as its service-linked role, which the cluster's
authenticator maps to the Kubernetes user ``aws-batch`` through Batch's own access entry or an aws-auth
entry (:mod:`.eks_identities`), and RBAC decides what it may do: the provisioning step grants it a Role in
the job's namespace. Here Batch's pod calls carry such a token (``batch_token``), so the server
authenticates and authorizes them exactly as it would Batch's; a refusal (401 when nothing maps the role,
403 from RBAC) fails the job attempt with the server's message in the statusReason. What a kubelet would do
(register its Node, report a pod's status) is done as the admin, since no kubelet runs.

For each attempt:

- its node (the name the emulator invented, ``ip-10-1-x-y.ec2.internal``) is registered once as a Node
  with Batch's label and taint, Ready; its uid is the pod's ``batch.amazonaws.com/node-uid``;
- Batch creates the pod ``aws-batch.<uuid>`` in the compute environment's namespace, bound to that node,
  with Batch's labels (``batch.amazonaws.com/job-id``, ``compute-environment-uuid``, ``node-uid``), the
  taint's toleration, ``restartPolicy: Never``, and host networking unless the job definition says
  otherwise (Batch's default);
- its status follows the job: Pending when created, Running, then Succeeded or Failed with each
  container's exit code;
- Batch deletes it once the job attempt has ended ("AWS Batch cleans up job pods soon after a pod
  completes its job"); nothing of it stays, as on EKS, where only the shipped logs remain.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from local.kubernetes.client import KubeClient, KubernetesError
from local.kubernetes.cluster import KubernetesCluster

if TYPE_CHECKING:
    from local.dataplane.attempts import Attempt, ContainerRun
    from local.dataplane.jobs import EmulatedJob

BATCH_USER = "aws-batch"
BATCH_NODE_TAINT = "batch.amazonaws.com/batch-node"
LABEL_PREFIX = "batch.amazonaws.com/"
INSTANCE_TYPE = "m5.large"
# A new namespace gets its default service account (and, in 1.20, its token) from the controller-manager
# a moment later; the ServiceAccount admission plugin refuses pods until then ("error looking up service
# account", "retry after the token is automatically created"), with 403, or with 500 ServerTimeout, which
# the API server marks retryable. Batch retries such a placement.
SERVICE_ACCOUNT_BOUND_SECONDS = 15.0
_NOT_YET = ("error looking up service account", "retry after")
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.-]")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _label_value(value: str) -> str:
    """A label value (at most 63 of [A-Za-z0-9_.-]); an array child's id ``<uuid>:<index>`` has a colon."""
    return _LABEL_VALUE.sub("-", value)[:63].strip("-_.")


def _node_ip(node_name: str) -> str:
    match = re.match(r"ip-(\d+)-(\d+)-(\d+)-(\d+)\.", node_name)
    return ".".join(match.groups()) if match else "10.1.0.1"


def register_node(
    admin: KubeClient, node_name: str, labels: dict[str, str], taints: list[dict[str, str]]
) -> str:
    """Register ``node_name`` as a Ready Node (an existing one is kept), as its kubelet would; its uid."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node_name,
            "labels": {
                "kubernetes.io/hostname": node_name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **labels,
            },
        },
        "spec": {"taints": taints} if taints else {},
    }
    try:
        created = admin.create("/api/v1/nodes", node)
    except KubernetesError as error:
        if error.status != 409:
            raise
        created = admin.get(f"/api/v1/nodes/{node_name}")
    status = {
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": _now()}
        ],
        "addresses": [
            {"type": "InternalIP", "address": _node_ip(node_name)},
            {"type": "Hostname", "address": node_name},
        ],
    }
    admin.merge_patch(f"/api/v1/nodes/{node_name}/status", {"status": status})
    return str(created["metadata"]["uid"])


def managed_node_names(cluster_name: str, node_group: str, count: int) -> list[str]:
    """The names of a managed node group's nodes: stable for a given group, like instances' private DNS
    names (and so their addresses, ip-10-1-x-y)."""
    seed = uuid.uuid5(uuid.NAMESPACE_DNS, f"{cluster_name}/{node_group}").bytes
    return [
        f"ip-10-1-{seed[(2 * index) % 16]}-{max(seed[(2 * index + 1) % 16], 4)}.ec2.internal"
        for index in range(count)
    ]


def node_address(node_name: str) -> str:
    """The private IPv4 address in an EC2 node name (``ip-10-1-2-3.ec2.internal``)."""
    return _node_ip(node_name)


def managed_node_group_nodes(
    cluster: KubernetesCluster, node_group: str, count: int, instance_type: str
) -> None:
    """A managed node group's instances as Nodes (EKS's labels, no taint: the add-ons run there); ``count``
    0 removes them. Their names are stable for a given group, like instances' private DNS names."""
    admin = KubeClient(cluster)
    try:
        selector = f"eks.amazonaws.com/nodegroup={node_group}"
        for node in admin.get(f"/api/v1/nodes?labelSelector={selector}")["items"]:
            if count == 0:
                admin.delete(f"/api/v1/nodes/{node['metadata']['name']}")
        labels = {
            "eks.amazonaws.com/nodegroup": node_group,
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "node.kubernetes.io/instance-type": instance_type,
        }
        for name in managed_node_names(cluster.name, node_group, count):
            register_node(admin, name, labels, [])
    finally:
        admin.close()


class BatchPods:
    """Batch's and the kubelets' calls on one cluster (see the module's docstring)."""

    def __init__(self, cluster: KubernetesCluster, batch_token: Callable[[], str]):
        """``batch_token``: an EKS token for the cluster, signed as Batch's service-linked role."""
        self.cluster = cluster
        self.admin = KubeClient(cluster)
        self.batch = KubeClient(cluster, token=batch_token)
        self._node_uids: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- nodes ------------------------------------------------------------------------------------------
    def node_uid(self, node_name: str) -> str:
        """Register ``node_name`` as a Ready Node (once), with Batch's label and taint; its uid."""
        with self._lock:
            known = self._node_uids.get(node_name)
            if known is not None:
                return known
            labels = {"node.kubernetes.io/instance-type": INSTANCE_TYPE, BATCH_NODE_TAINT: "true"}
            taints = [{"key": BATCH_NODE_TAINT, "value": "true", "effect": "NoSchedule"}]
            uid = register_node(self.admin, node_name, labels, taints)
            self._node_uids[node_name] = uid
            return uid

    # -- pods, as Batch ---------------------------------------------------------------------------------
    def create(self, job: EmulatedJob, attempt: Attempt) -> str | None:
        """Create the attempt's pod as ``aws-batch``: None when created, else why it was refused."""
        node_uid = self.node_uid(attempt.node_name)
        pod = self._manifest(job, attempt, node_uid)
        path = f"/api/v1/namespaces/{job.namespace}/pods"
        deadline = time.monotonic() + SERVICE_ACCOUNT_BOUND_SECONDS
        while True:
            try:
                self.batch.create(path, pod)
                return None
            except KubernetesError as error:
                not_yet = error.status in (403, 500) and any(reason in error.message for reason in _NOT_YET)
                if not_yet and time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                return (
                    f"Failed to create pod {attempt.pod_name} in namespace {job.namespace} as user "
                    f"{BATCH_USER}: {error.status} {error.reason}: {error.message}"
                )

    def _manifest(self, job: EmulatedJob, attempt: Attempt, node_uid: str) -> dict[str, Any]:
        properties = job.pod_properties()
        metadata = properties.get("metadata") or {}
        environments = getattr(job.moto_job.job_queue, "environments", None) or []
        ce_arn = str(environments[0].arn) if environments else job.cluster_arn
        labels = {
            **{str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
            f"{LABEL_PREFIX}compute-environment-uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, ce_arn)),
            f"{LABEL_PREFIX}job-id": _label_value(job.job_id),
            f"{LABEL_PREFIX}node-uid": node_uid,
        }
        specs = {str(c.get("name", "default")): c for c in properties.get("containers", [])}
        containers = []
        for run in attempt.containers:
            spec = specs.get(run.name, {})
            container: dict[str, Any] = {
                "name": run.name,
                "image": run.image,
                "env": [
                    {"name": k, "value": v}
                    for k, v in {**run.env, "AWS_BATCH_JOB_KUBERNETES_NODE_UID": node_uid}.items()
                ],
            }
            for key in ("command", "args", "resources", "securityContext", "volumeMounts", "imagePullPolicy"):
                if spec.get(key):
                    container[key] = spec[key]
            containers.append(container)
        host_network = properties.get("hostNetwork", True)
        spec_out: dict[str, Any] = {
            "nodeName": attempt.node_name,
            "restartPolicy": "Never",
            "containers": containers,
            "tolerations": [{"key": BATCH_NODE_TAINT, "operator": "Exists", "effect": "NoSchedule"}],
            "hostNetwork": host_network,
            "dnsPolicy": properties.get("dnsPolicy")
            or ("ClusterFirstWithHostNet" if host_network else "ClusterFirst"),
        }
        for key in ("serviceAccountName", "volumes", "shareProcessNamespace"):
            if properties.get(key) is not None:
                spec_out[key] = properties[key]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": attempt.pod_name, "namespace": job.namespace, "labels": labels},
            "spec": spec_out,
        }

    # -- status, as the kubelet would report it -----------------------------------------------------------
    def running(self, job: EmulatedJob, attempt: Attempt) -> None:
        started = _now()
        statuses = [
            self._container_status(run, {"running": {"startedAt": started}}, ready=True)
            for run in attempt.containers
        ]
        self._set_status(job, attempt, "Running", statuses, started)

    def finished(self, job: EmulatedJob, attempt: Attempt) -> None:
        """Report the attempt's end (Succeeded or Failed), then delete the pod as Batch does."""
        ended = _now()
        statuses = []
        for run in attempt.containers:
            terminated: dict[str, Any] = {"exitCode": run.exit_code if run.exit_code is not None else 137}
            terminated |= {"reason": run.reason or ("Completed" if run.exit_code == 0 else "Error")}
            terminated |= {"finishedAt": ended, "containerID": f"containerd://{run.container_id}"}
            statuses.append(self._container_status(run, {"terminated": terminated}, ready=False))
        succeeded = bool(attempt.containers) and all(run.exit_code == 0 for run in attempt.containers)
        path = f"/api/v1/namespaces/{job.namespace}/pods/{attempt.pod_name}"
        try:
            self._set_status(job, attempt, "Succeeded" if succeeded else "Failed", statuses, None)
            # A pod in a terminal phase is deleted at once (no kubelet needs to confirm).
            self.batch.delete(path, grace_period_seconds=0)
        except KubernetesError as error:
            if error.status != 404:  # gone already (its namespace was deleted): nothing to clean up
                raise

    @staticmethod
    def _container_status(run: ContainerRun, state: dict[str, Any], *, ready: bool) -> dict[str, Any]:
        return {
            "name": run.name,
            "state": state,
            "ready": ready,
            "restartCount": 0,
            "image": run.image,
            "imageID": "",
            "containerID": f"containerd://{run.container_id}",
        }

    def _set_status(
        self,
        job: EmulatedJob,
        attempt: Attempt,
        phase: str,
        container_statuses: list[dict[str, Any]],
        start_time: str | None,
    ) -> None:
        ip = _node_ip(attempt.node_name)
        status: dict[str, Any] = {
            "phase": phase,
            "hostIP": ip,
            "podIP": ip,
            "containerStatuses": container_statuses,
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": "True" if phase == "Running" else "False"},
            ],
        }
        if start_time is not None:
            status["startTime"] = start_time
        self.admin.merge_patch(
            f"/api/v1/namespaces/{job.namespace}/pods/{attempt.pod_name}/status", {"status": status}
        )
