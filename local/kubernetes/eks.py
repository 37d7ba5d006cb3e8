"""A real Kubernetes API server behind every cluster of the embedded EKS (``EmbeddedAws(kubernetes=True)``).

Lifecycle, through the hook in :mod:`local.embedded_aws.moto_gaps.eks_control_plane`:

- CreateCluster launches the cluster's server without waiting: its endpoint and CA are known at once
  and are in the answer, while the server boots as the cluster is CREATING;
- DescribeCluster of an ACTIVE cluster waits until the server is ready (a cluster created before the
  hook was installed gets its server here, on first describe);
- DeleteCluster stops it; :meth:`EksKubernetes.stop_all` stops the rest with the embedded AWS.

Who a bearer token is: :class:`EksAuthenticator` (the webhook's logic) checks it as EKS does
(:mod:`.eks_tokens`) and maps the caller through access entries and aws-auth (:mod:`.eks_identities`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from botocore.credentials import Credentials

from local.kubernetes.client import KubeClient
from local.kubernetes.cluster import KubernetesCluster
from local.kubernetes.eks_identities import ClusterAccess, IdentityMapper
from local.kubernetes.eks_tokens import EksTokenVerifier, KnownKey, TokenRejected, known_keys, sign_token
from local.kubernetes.pods import BatchPods, managed_node_group_nodes
from local.kubernetes.webhook import Identity

logger = logging.getLogger(__name__)

AWS_AUTH_PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"


class _TokenCache:
    """An EKS token for one cluster signed with fixed credentials, renewed after ten minutes (EKS accepts a
    token for fifteen)."""

    RENEW_SECONDS = 600.0

    def __init__(self, cluster_name: str, sts_endpoint: str, region: str, credentials: Credentials):
        self._sign = lambda: sign_token(cluster_name, sts_endpoint, region, credentials)
        self._token = ""
        self._signed_at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if time.monotonic() - self._signed_at > self.RENEW_SECONDS:
                self._token, self._signed_at = self._sign(), time.monotonic()
            return self._token


class EksAuthenticator:
    """token -> Identity for one EKS cluster, or None (the API server answers 401)."""

    def __init__(
        self,
        account: str,
        region: str,
        cluster_name: str,
        sts_endpoint: str,
        key_for: Callable[[str], KnownKey | None],
        access: ClusterAccess,
    ):
        self.cluster_name = cluster_name
        self.verifier = EksTokenVerifier(cluster_name, sts_endpoint, key_for=key_for)
        self.mapper = IdentityMapper(account, region, cluster_name, self._aws_auth, access)
        self._admin: KubeClient | None = None

    def attach(self, cluster: KubernetesCluster) -> None:
        """The cluster whose aws-auth ConfigMap is read (known only once its server is launched)."""
        self._admin = KubeClient(cluster)

    def _aws_auth(self) -> dict[str, object] | None:
        return self._admin.get_or_none(AWS_AUTH_PATH) if self._admin is not None else None

    def __call__(self, token: str) -> Identity | None:
        try:
            caller = self.verifier.caller(token)
        except TokenRejected as reason:
            logger.info("EKS token refused for cluster %s: %s", self.cluster_name, reason)
            return None
        return self.mapper.identity(caller)


class EksKubernetes:
    """The local clusters of one embedded AWS, by (account, region, cluster name)."""

    def __init__(
        self,
        sts_endpoint: str,
        own_credentials: tuple[str, str],
        access: ClusterAccess,
        batch_credentials: Callable[[str, str], Credentials],
    ):
        """``own_credentials``: the access key and secret the embedded AWS gave the process; ``access``:
        the embedded EKS's record of each cluster's authentication mode and access entries;
        ``batch_credentials(account, region)``: a session of Batch's service-linked role there, which
        Batch's calls to a cluster are signed with."""
        self.sts_endpoint = sts_endpoint
        self.access = access
        self._batch_credentials = batch_credentials
        access_key_id, secret = own_credentials
        self._key_for = known_keys({access_key_id: KnownKey(secret, None)})
        self._clusters: dict[tuple[str, str, str], KubernetesCluster] = {}
        self._pods: dict[KubernetesCluster, BatchPods] = {}
        self._audit_logs: dict[tuple[str, str, str], list[dict[str, object]]] = {}  # of stopped clusters
        self._lock = threading.Lock()

    def _cluster(self, account: str, region: str, name: str) -> KubernetesCluster:
        with self._lock:
            cluster = self._clusters.get((account, region, name))
            if cluster is None:
                authenticator = EksAuthenticator(
                    account, region, name, self.sts_endpoint, self._key_for, self.access
                )
                cluster = KubernetesCluster(name, authenticator)
                authenticator.attach(cluster)
                self._clusters[(account, region, name)] = cluster
            return cluster

    # -- the hook the EKS control plane gap calls (EksControlPlane) -----------------------------------------
    def launch(self, account: str, region: str, name: str) -> tuple[str, str]:
        cluster = self._cluster(account, region, name)
        return cluster.endpoint, cluster.ca_pem

    def ready(self, account: str, region: str, name: str) -> tuple[str, str]:
        cluster = self._cluster(account, region, name)
        cluster.wait_ready()
        return cluster.endpoint, cluster.ca_pem

    def stop(self, account: str, region: str, name: str) -> None:
        with self._lock:
            cluster = self._clusters.pop((account, region, name), None)
            if cluster is not None:
                self._pods.pop(cluster, None)
        if cluster is not None:
            cluster.stop()
            with self._lock:
                self._audit_logs[(account, region, name)] = cluster.audit_log()

    def node_group_nodes(
        self, account: str, region: str, cluster: str, node_group: str, count: int, instance_type: str
    ) -> None:
        with self._lock:
            local = self._clusters.get((account, region, cluster))
        if local is not None:
            local.wait_ready()
            managed_node_group_nodes(local, node_group, count, instance_type)

    # -- for the data plane and tests ---------------------------------------------------------------------
    def cluster_by_arn(self, cluster_arn: str) -> KubernetesCluster | None:
        """The ready local cluster for ``arn:aws:eks:<region>:<account>:cluster/<name>``, if one runs."""
        parts = cluster_arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("cluster/"):
            return None
        key = (parts[4], parts[3], parts[5].removeprefix("cluster/"))
        with self._lock:
            cluster = self._clusters.get(key)
        if cluster is not None:
            cluster.wait_ready()
        return cluster

    def pod_host(self, cluster_arn: str) -> BatchPods | None:
        """Batch's pod calls on the cluster, when it has a local API server (the data plane's hook)."""
        cluster = self.cluster_by_arn(cluster_arn)
        if cluster is None:
            return None
        _, _, _, region, account, _ = cluster_arn.split(":", 5)
        with self._lock:
            pods = self._pods.get(cluster)
            if pods is None:
                token = _TokenCache(
                    cluster.name, self.sts_endpoint, region, self._batch_credentials(account, region)
                )
                pods = self._pods[cluster] = BatchPods(cluster, token)
            return pods

    def audit_log(self, cluster_arn: str) -> list[dict[str, object]]:
        """Every request the cluster's API server recorded (:meth:`KubernetesCluster.audit_log`), whether it
        still runs or was stopped with its cluster; [] for a cluster that never had one."""
        _, _, _, region, account, resource = cluster_arn.split(":", 5)
        key = (account, region, resource.removeprefix("cluster/"))
        with self._lock:
            cluster = self._clusters.get(key)
            kept = self._audit_logs.get(key, [])
        return cluster.audit_log() if cluster is not None else list(kept)

    def stop_all(self) -> None:
        with self._lock:
            clusters = list(self._clusters.values())
            self._clusters.clear()
            self._pods.clear()
        for cluster in clusters:
            cluster.stop()
