"""What a job's pod gets from its sandbox's credential endpoints (:mod:`local.dataplane.pod_identity`), from
the embedded AWS's own records:

- its pod identity: the EKS Pod Identity association of its namespace and service account
  (:mod:`.moto_gaps.eks_pod_identity`), whose role EKS Auth assumes for it where the role's trust policy
  allows this pod (:mod:`.moto_gaps.eks_auth`; a session per attempt). A role that does not trust it leaves
  the pod with the agent's variables but no credentials: its request to the agent fails (on AWS the agent
  answers EKS Auth's AccessDeniedException; the outcome, no credentials, is the same);
- the node's role through the metadata service, only when its answer can reach the pod: on the host network,
  or off it when the compute environment's launch template lets a token travel two hops or more
  (``MetadataOptions.HttpPutResponseHopLimit``; a launch template's hop limit wins over the AMI's). Without a
  launch template, or one that sets no hop limit, it is taken as 2: what AMIs registered for IMDSv2
  (``ImdsSupport`` v2.0) get, as the EKS-optimized AL2023 AMIs Batch launches are assumed to be (not verified
  here; docs/architecture.md says so).
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.batch.models import ComputeEnvironment, batch_backends
from moto.ec2.models import ec2_backends
from moto.eks.models import eks_backends
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from local.dataplane.pod_identity import Credentials, PodCredentials
from local.embedded_aws.moto_gaps.eks_auth import PodIdentityRefused, assume_role_for_pod_identity

ASSUMED_HOP_LIMIT = 2
SESSION_SECONDS = 3600


class EmbeddedPodCredentials:
    """:class:`local.dataplane.pod_identity.IdentityView` for one account and region of the embedded AWS."""

    def __init__(self, account: str, region: str):
        self.account = account
        self.region = region

    def pod_credentials(
        self,
        cluster_arn: str,
        compute_environment_arn: str,
        namespace: str,
        service_account: str | None,
        host_network: bool,
    ) -> PodCredentials | None:
        cluster = eks_backends[self.account][self.region].clusters.get(cluster_arn.rsplit("/", 1)[-1])
        environment = batch_backends[self.account][self.region].get_compute_environment_by_arn(
            compute_environment_arn
        )
        if cluster is None or environment is None:
            return None
        refused = False
        try:
            pod_identity = assume_role_for_pod_identity(
                self.account, self.region, cluster.name, namespace, service_account
            )
        except PodIdentityRefused:
            pod_identity, refused = None, True
        node_role = self._instance_role(environment)
        reaches = host_network or self._hop_limit(environment) >= 2
        node = self._session(node_role, f"i-{uuid.uuid4().hex[:17]}") if reaches and node_role else None
        return PodCredentials(
            pod_identity=pod_identity,
            associated=pod_identity is not None or refused,
            token=uuid.uuid4().hex,
            node=node,
            node_role=(node_role or "").rsplit("/", 1)[-1],
        )

    def _session(self, role_arn: str, session_name: str) -> Credentials:
        sts = sts_backends[self.account][get_partition(self.region)]
        role = sts.assume_role(self.region, session_name, role_arn, "", SESSION_SECONDS, "")
        return Credentials(
            role.access_key_id,
            role.secret_access_key,
            role.session_token,
            role.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def _instance_role(self, environment: ComputeEnvironment) -> str | None:
        """The role of the compute environment's instance profile (an ARN or a name)."""
        profile_ref = str((environment.compute_resources or {}).get("instanceRole") or "")
        iam = iam_backends[self.account][get_partition(self.region)]
        try:
            profile = (
                iam.get_instance_profile_by_arn(profile_ref)
                if profile_ref.startswith("arn:")
                else iam.get_instance_profile(profile_ref)
            )
        except NotFoundException:  # a profile gone is no role
            return None
        return str(profile.roles[0].arn) if profile.roles else None

    def _hop_limit(self, environment: ComputeEnvironment) -> int:
        reference: dict[str, Any] = (environment.compute_resources or {}).get("launchTemplate") or {}
        backend = ec2_backends[self.account][self.region]
        if reference.get("launchTemplateId") in backend.launch_templates:
            template = backend.launch_templates[reference["launchTemplateId"]]
        elif reference.get("launchTemplateName") in backend.launch_template_name_to_ids:
            template = backend.get_launch_template_by_name(reference["launchTemplateName"])
        else:
            return ASSUMED_HOP_LIMIT
        version = template.get_version(reference.get("version") or "$Default")
        options = (version.data or {}).get("MetadataOptions") or {}
        return int(options.get("HttpPutResponseHopLimit") or ASSUMED_HOP_LIMIT)
