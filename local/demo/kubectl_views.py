"""What ``kubectl get nodes``, ``kubectl get ns``, ``kubectl get pods`` and ``kubectl auth can-i`` would show,
read from a local API server with the admin's client.

The demo has no kubectl to call (it may not be installed), yet the blueprint's walkthrough is told through
kubectl's output; these functions print the same columns, computed as kubectl's printers compute them
(a pod's STATUS is its waiting or terminated container's reason, ``Completed`` for a succeeded container,
``Terminating`` once deletion started; a node is ``Ready`` or ``NotReady`` from its Ready condition).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from local.demo.console import table
from local.kubernetes.client import KubeClient

NODE_ROLE_LABEL = "node-role.kubernetes.io/"


def age(created: str | None, now: datetime | None = None) -> str:
    """kubectl's short duration since ``created`` (RFC 3339): ``42s``, ``3m7s``, ``12m``, ``5h``, ``3d``."""
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


# -- nodes ------------------------------------------------------------------------------------------------
def node_row(node: dict[str, Any]) -> list[str]:
    metadata, status = node["metadata"], node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = metadata.get("labels") or {}
    roles = sorted(key.removeprefix(NODE_ROLE_LABEL) for key in labels if key.startswith(NODE_ROLE_LABEL))
    version = str((status.get("nodeInfo") or {}).get("kubeletVersion", ""))
    return [
        metadata["name"],
        state,
        ",".join(roles) or "<none>",
        age(metadata.get("creationTimestamp")),
        version,
    ]


NODE_HEADER = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]


def get_nodes(kube: KubeClient) -> str:
    items = kube.get("/api/v1/nodes")["items"]
    if not items:
        return "No resources found"
    return table([NODE_HEADER, *(node_row(n) for n in sorted(items, key=lambda n: n["metadata"]["name"]))])


# -- namespaces -------------------------------------------------------------------------------------------
def get_namespaces(kube: KubeClient) -> str:
    items = sorted(kube.get("/api/v1/namespaces")["items"], key=lambda n: n["metadata"]["name"])
    rows = [
        [
            n["metadata"]["name"],
            (n.get("status") or {}).get("phase", ""),
            age(n["metadata"].get("creationTimestamp")),
        ]
        for n in items
    ]
    return table([["NAME", "STATUS", "AGE"], *rows])


# -- pods -------------------------------------------------------------------------------------------------
def pod_status(pod: dict[str, Any]) -> str:
    """The STATUS column, as kubectl's pod printer derives it."""
    status = pod.get("status") or {}
    reason = str(status.get("reason") or status.get("phase") or "Unknown")
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            terminated = state["terminated"]
            reason = terminated.get("reason") or (
                f"Signal:{terminated['signal']}"
                if terminated.get("signal")
                else f"ExitCode:{terminated.get('exitCode')}"
            )
        elif "running" in state and container.get("ready"):
            reason = "Running"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def pod_row(pod: dict[str, Any]) -> list[str]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    containers = (pod.get("spec") or {}).get("containers") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(containers)}",
        pod_status(pod),
        str(restarts),
        age(pod["metadata"].get("creationTimestamp")),
    ]


POD_HEADER = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]


# -- RBAC -------------------------------------------------------------------------------------------------
def can_i(kube: KubeClient, user: str, verb: str, resource: str, namespace: str | None = None) -> bool:
    """``kubectl auth can-i <verb> <resource> [-n ns] --as <user>``: the server's own RBAC authorizer answers
    a SubjectAccessReview (group given as ``apps/deployments``)."""
    group, _, plural = resource.rpartition("/")
    attributes: dict[str, str] = {"verb": verb, "resource": plural, "group": group}
    if namespace is not None:
        attributes["namespace"] = namespace
    review = kube.create(
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": ["system:authenticated"], "resourceAttributes": attributes},
        },
    )
    return bool((review.get("status") or {}).get("allowed"))
