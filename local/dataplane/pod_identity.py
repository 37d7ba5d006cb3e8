"""Where a job's pod can get AWS credentials from, inside its sandbox, as on an EKS node:

- **EKS Pod Identity**: when the pod's service account has a Pod Identity association, EKS's webhook gives
  its containers ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (the agent, ``http://169.254.170.23/v1/credentials``)
  and ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` (the pod's projected token), and the eks-pod-identity-agent
  answers a request carrying that token with a session of the association's role ("EKS Pod Identity",
  Amazon EKS User Guide: the SDKs' container credential provider reads both variables).
- **The node's instance metadata service** (``169.254.169.254``): it answers IMDSv2 (a PUT for a token, then
  the token on every GET; a GET without one is refused, as ``HttpTokens: required`` makes it) with the
  node's instance role. A pod off the host network is one network hop further than the node, so with a
  response hop limit of 1 the token never reaches it ("Configure the instance metadata options", Amazon
  EC2 User Guide): then nothing answers the pod here (on AWS its PUT times out; the outcome, no
  credentials, is the same).

The sandbox's network launcher (:mod:`.sandbox_dns`) serves both on the sandbox's own loopback, at those
addresses, from the lines :meth:`PodCredentials.launcher_lines` writes; :class:`IdentityView` is how the data
plane asks the embedded AWS what a pod gets (:mod:`local.embedded_aws.pod_credentials`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Protocol

AGENT_ADDRESS = "169.254.170.23"
IMDS_ADDRESS = "169.254.169.254"
AGENT_URI = f"http://{AGENT_ADDRESS}/v1/credentials"
TOKEN_FILE = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"  # noqa: S105 - a path


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str  # ISO 8601, UTC

    def encoded(self, *, imds: bool) -> str:
        """The JSON the agent (or, ``imds``, the metadata service) answers, base64 for a launcher line."""
        body: dict[str, str] = {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Expiration": self.expiration,
        }
        body |= {"Code": "Success", "Type": "AWS-HMAC", "Token": self.session_token} if imds else {}
        body |= {} if imds else {"Token": self.session_token}
        return base64.b64encode(json.dumps(body).encode()).decode()


@dataclass(frozen=True)
class PodCredentials:
    """What answers a pod: its pod identity (None: its service account has no association, or its role
    refused it) with the pod's ``token``; the node's role through the metadata service (None: the pod cannot
    reach it). ``associated``: the service account has an association, so EKS's webhook gives the pod the
    agent's variables even when the role refused it (then the agent has nothing to answer)."""

    pod_identity: Credentials | None
    token: str
    node: Credentials | None
    node_role: str
    associated: bool = False

    def launcher_lines(self) -> list[str]:
        lines = []
        if self.pod_identity is not None:
            lines.append(f"agent {self.token} {self.pod_identity.encoded(imds=False)}")
        if self.node is not None:
            lines.append(f"imds {self.node_role} {self.node.encoded(imds=True)}")
        return lines

    def env(self) -> dict[str, str]:
        """The variables EKS's Pod Identity webhook gives the pod's containers."""
        if self.pod_identity is None and not self.associated:
            return {}
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": AGENT_URI,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": TOKEN_FILE,
        }


class IdentityView(Protocol):
    """The embedded AWS, as the data plane asks it what a pod's credentials are."""

    def pod_credentials(
        self,
        cluster_arn: str,
        compute_environment_arn: str,
        namespace: str,
        service_account: str | None,
        host_network: bool,
    ) -> PodCredentials | None:
        """None when the embedded AWS knows neither the cluster nor the compute environment."""
