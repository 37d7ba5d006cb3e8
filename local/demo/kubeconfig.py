"""A kubeconfig with which a real ``kubectl`` reaches a local cluster of the embedded EKS.

On AWS, ``aws eks update-kubeconfig`` writes one whose user runs ``aws eks get-token``; that needs the AWS
CLI pointed at the embedded AWS, which a user of the demo does not have. This one carries the cluster's
admin token instead (the emulator's own way in, like EKS's cluster-creator admin) and the cluster's CA in
a file next to it, and names the cluster and context by the cluster's ARN, as update-kubeconfig does.
JSON is YAML, so kubectl reads it as it is. The directory is private (0700) and the file 0600: the token
is an admin's.
"""

from __future__ import annotations

import json
from pathlib import Path

from local.kubernetes.cluster import KubernetesCluster


def write_kubeconfig(directory: Path, cluster_arn: str, cluster: KubernetesCluster) -> Path:
    """Write ``<directory>/kubeconfig`` and ``<directory>/<cluster>-ca.crt``; the kubeconfig's path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_file = directory / f"{cluster.name}-ca.crt"
    ca_file.write_text(cluster.ca_pem)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_arn,
                "cluster": {"server": cluster.endpoint, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [{"name": cluster_arn, "user": {"token": cluster.admin_token}}],
        "contexts": [{"name": cluster_arn, "context": {"cluster": cluster_arn, "user": cluster_arn}}],
        "current-context": cluster_arn,
        "preferences": {},
    }
    path = directory / "kubeconfig"
    path.touch(mode=0o600)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path
