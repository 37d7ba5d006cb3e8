"""A real Kubernetes API server behind each emulated EKS cluster.

``build.sh`` builds kube-apiserver and kube-controller-manager from Debian's source package (``make
kubernetes``); :class:`KubernetesCluster` runs them per cluster with RBAC and a TokenReview webhook that
asks an ``authenticate`` callable who a bearer token is; :mod:`.eks` wires clusters to the embedded EKS.
"""

from local.kubernetes.cluster import KubernetesCluster
from local.kubernetes.webhook import Identity

__all__ = ["Identity", "KubernetesCluster"]
