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
from collections.abc import Callable

from local.kubernetes.client import KubeClient
from local.kubernetes.cluster import KubernetesCluster
from local.kubernetes.eks_identities import ClusterAccess, IdentityMapper
from local.kubernetes.eks_tokens import EksTokenVerifier, KnownKey, TokenRejected, known_keys
from local.kubernetes.pods import BatchPods, managed_node_group_nodes
from local.kubernetes.webhook import Identity

logger = logging.getLogger(__name__)

AWS_AUTH_PATH = "/api/v1/namespaces/kube-system/configmaps/aws-auth"


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

    def __init__(self, sts_endpoint: str, own_credentials: tuple[str, str], access: ClusterAccess):
        """``own_credentials``: the access key and secret the embedded AWS gave the process; ``access``:
        the embedded EKS's record of each cluster's authentication mode and access entries."""
        self.sts_endpoint = sts_endpoint
        self.access = access
        access_key_id, secret = own_credentials
        self._key_for = known_keys({access_key_id: KnownKey(secret, None)})
        self._clusters: dict[tuple[str, str, str], KubernetesCluster] = {}
        self._pods: dict[KubernetesCluster, BatchPods] = {}
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
        with self._lock:
            pods = self._pods.get(cluster)
            if pods is None:
                pods = self._pods[cluster] = BatchPods(cluster)
            return pods

    def stop_all(self) -> None:
        with self._lock:
            clusters = list(self._clusters.values())
            self._clusters.clear()
            self._pods.clear()
        for cluster in clusters:
            cluster.stop()
