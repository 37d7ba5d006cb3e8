"""A kubeconfig like the one ``aws eks update-kubeconfig --name N --profile P`` writes, with which a real
``kubectl`` reaches a local cluster of the embedded EKS as a person: the cluster and context are named by
the cluster's ARN, the CA is in a file next to it, and the user is an ``exec`` user that obtains the
person's EKS token each time (:mod:`local.demo.get_token`, in the AWS CLI's place), from the person's AWS
profile. The cluster lets that token in only because provisioning gave the person's role an access entry
(``clusterAdminPrincipalArns``): never a static admin token.

JSON is YAML, so kubectl reads it as it is. The directory is private (0700) and the file 0600.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from local.demo.person import Person
from local.kubernetes.cluster import KubernetesCluster

REPO_ROOT = Path(__file__).resolve().parents[2]
EXEC_BOUND_SECONDS = 30


def write_kubeconfig(
    directory: Path, cluster_arn: str, cluster: KubernetesCluster, person: Person, aws_endpoint: str
) -> Path:
    """Write ``<directory>/kubeconfig`` and ``<directory>/<cluster>-ca.crt``; the kubeconfig's path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_file = directory / f"{cluster.name}-ca.crt"
    ca_file.write_text(cluster.ca_pem)
    region = cluster_arn.split(":")[3]
    environment = {
        "AWS_PROFILE": person.profile,
        "AWS_SHARED_CREDENTIALS_FILE": str(person.credentials_file),
        # On AWS the CLI finds STS by itself; here it is the embedded AWS.
        "AWS_ENDPOINT_URL": aws_endpoint,
        "PYTHONPATH": str(REPO_ROOT),
    }
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_arn,
                "cluster": {"server": cluster.endpoint, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [
            {
                "name": cluster_arn,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": sys.executable,
                        "args": [
                            "-m",
                            "local.demo.get_token",
                            "--cluster-name",
                            cluster.name,
                            "--region",
                            region,
                        ],
                        "env": [{"name": k, "value": v} for k, v in environment.items()],
                    }
                },
            }
        ],
        "contexts": [{"name": cluster_arn, "context": {"cluster": cluster_arn, "user": cluster_arn}}],
        "current-context": cluster_arn,
        "preferences": {},
    }
    path = directory / "kubeconfig"
    path.touch(mode=0o600)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def exec_token(kubeconfig: Path) -> str:
    """The bearer token kubectl would send: its current context's user's ``exec`` command run as kubectl
    runs it (the process's environment plus the user's ``env``), its ExecCredential's token."""
    config: dict[str, Any] = json.loads(kubeconfig.read_text())
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])["context"]
    user = next(u for u in config["users"] if u["name"] == context["user"])["user"]["exec"]
    environment = {**os.environ, **{item["name"]: item["value"] for item in user.get("env") or []}}
    completed = subprocess.run(
        [user["command"], *user.get("args", [])],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=EXEC_BOUND_SECONDS,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the kubeconfig's exec user failed: {completed.stderr.strip()}")
    return str(json.loads(completed.stdout)["status"]["token"])
