"""Batch on EKS, which moto knows only on ECS: CreateComputeEnvironment keeps ``eksConfiguration``
(described back with ``containerOrchestrationType: EKS``), defaults ``serviceRole`` to Batch's service-linked
role (created when missing, as Batch does), and follows its readiness (CREATING, then VALID or INVALID);
it refuses an ``ec2Configuration`` whose ``imageKubernetesVersion`` Batch does not support, with Batch's
message, and without one describes the configuration Batch picks (its newest version, AL2023);
CreateJobQueue and UpdateJobQueue keep ``jobStateTimeLimitActions``. :func:`eks_namespace_for_queue` tells
the data plane which queues run on EKS."""

from __future__ import annotations

import json
from typing import Any

from botocore.credentials import Credentials
from moto.batch.exceptions import ClientException
from moto.batch.models import batch_backends
from moto.batch.responses import BatchResponse
from moto.iam import models as iam_models
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from local.embedded_aws.moto_gaps.readiness import lifecycle_after_describe, start_creating

_BATCH_SLR = "AWSServiceRoleForBatch"
# The Kubernetes versions AWS Batch supports for EKS compute environments ("Supported Kubernetes versions",
# https://docs.aws.amazon.com/batch/latest/userguide/supported_kubernetes_version.html): 1.29 to 1.34 as
# the copy of that page available here lists them; 1.35 and 1.36 as the page lists them on 2026-12-06
# (issue 11 of this project; not on the copy available here). This is AWS's side: the control plane keeps
# its own list (models/kubernetes_versions.py), so that a test fails when the two disagree.
BATCH_EKS_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36")
EKS_IMAGE_TYPES = ("EKS_AL2", "EKS_AL2_NVIDIA", "EKS_AL2023", "EKS_AL2023_NVIDIA")
# Batch's answer to a version it does not support (the page above).
UNSUPPORTED_VERSION = "At least one imageKubernetesVersion in EC2Configuration is not supported."


def batch_service_linked_role(account_id: str, region: str) -> str:
    """The Batch service-linked role's ARN, created when missing (as Batch itself does)."""
    backend = batch_backends[account_id][region]
    iam = iam_models.iam_backends[account_id][backend.partition]
    for role in list(iam.roles.values()):
        if role.name.lower() == _BATCH_SLR.lower():
            return str(role.arn)
    return str(iam.create_service_linked_role("batch.amazonaws.com", "", "").arn)


def batch_credentials(account_id: str, region: str) -> Credentials:
    """A session of Batch's service-linked role (an assumed role of the embedded STS): what Batch signs its
    calls to a cluster's API server with."""
    role_arn = batch_service_linked_role(account_id, region)
    sts = sts_backends[account_id][get_partition(region)]
    session = sts.assume_role(region, "AWSBatch", role_arn, "", 3600, "")
    return Credentials(session.access_key_id, session.secret_access_key, session.session_token)


def _check_ec2_configuration(resources: dict[str, Any], on_eks: bool) -> None:
    for item in resources.get("ec2Configuration") or []:
        version = item.get("imageKubernetesVersion")
        if version is not None and (not on_eks or version not in BATCH_EKS_VERSIONS):
            raise ClientException(UNSUPPORTED_VERSION)
        if on_eks and item.get("imageType") not in EKS_IMAGE_TYPES:
            raise ClientException(
                f"imageType {item.get('imageType')} is not an EKS image type: "
                f"one of {', '.join(EKS_IMAGE_TYPES)}"
            )


def _ec2_configuration_picked(item: dict[str, Any]) -> None:
    """What Batch describes for an EKS compute environment created without an ``ec2Configuration``."""
    resources = item.setdefault("computeResources", {})
    if not resources.get("ec2Configuration"):
        resources["ec2Configuration"] = [
            {"imageType": "EKS_AL2023", "imageKubernetesVersion": BATCH_EKS_VERSIONS[-1]}
        ]


def install() -> None:
    cls = BatchResponse
    create_ce = cls.createcomputeenvironment
    describe_ce = cls.describecomputeenvironments
    create_jq = cls.createjobqueue
    describe_jq = cls.describejobqueues
    update_jq = cls.updatejobqueue

    def createcomputeenvironment(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        eks = self._get_param("eksConfiguration")
        _check_ec2_configuration(self._get_param("computeResources") or {}, on_eks=bool(eks))
        if not self._get_param("serviceRole"):
            role = batch_service_linked_role(self.current_account, self.region)
            body = json.loads(self.body or "{}")
            body["serviceRole"] = role
            self.body = json.dumps(body)
        out = create_ce(self)
        env = backend.get_compute_environment_by_arn(json.loads(out)["computeEnvironmentArn"])
        if env is not None:
            env._gap_eks_configuration = eks  # type: ignore[attr-defined]
            start_creating(env)
        return out

    def describecomputeenvironments(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        out = json.loads(describe_ce(self))
        for item in out["computeEnvironments"]:
            env = backend.get_compute_environment_by_arn(item["computeEnvironmentArn"])
            if env is None:
                continue
            lifecycle = lifecycle_after_describe("compute-environment", (env.name,), env)
            if lifecycle.phase == "creating":
                item["status"], item["statusReason"] = "CREATING", "Compute environment is being created"
            elif lifecycle.phase == "failed":
                item["status"], item["statusReason"] = "INVALID", lifecycle.reason
            eks = getattr(env, "_gap_eks_configuration", None)
            if eks:
                item["eksConfiguration"] = eks
                item["containerOrchestrationType"] = "EKS"
                item.pop("ecsClusterArn", None)
                _ec2_configuration_picked(item)
            else:
                item["containerOrchestrationType"] = "ECS"
        return json.dumps(out)

    def _keep_actions(self: BatchResponse, out: str) -> str:
        actions = self._get_param("jobStateTimeLimitActions")
        if actions is not None:
            backend = batch_backends[self.current_account][self.region]
            queue = backend.get_job_queue(json.loads(out)["jobQueueArn"])
            if queue is not None:
                queue._gap_time_limit_actions = actions  # type: ignore[attr-defined]
        return out

    def createjobqueue(self: BatchResponse) -> str:
        return _keep_actions(self, create_jq(self))

    def updatejobqueue(self: BatchResponse) -> str:
        return _keep_actions(self, update_jq(self))

    def describejobqueues(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        out = json.loads(describe_jq(self))
        for item in out["jobQueues"]:
            queue = backend.get_job_queue(item["jobQueueArn"])
            actions = getattr(queue, "_gap_time_limit_actions", None)
            if actions is not None:
                item["jobStateTimeLimitActions"] = actions
        return json.dumps(out)

    cls.createcomputeenvironment = createcomputeenvironment  # type: ignore[method-assign]
    cls.describecomputeenvironments = describecomputeenvironments  # type: ignore[method-assign]
    cls.createjobqueue = createjobqueue  # type: ignore[method-assign]
    cls.updatejobqueue = updatejobqueue  # type: ignore[method-assign]
    cls.describejobqueues = describejobqueues  # type: ignore[method-assign]


def eks_namespace_for_queue(account_id: str, region: str, queue_arn_or_name: str) -> tuple[str, str] | None:
    """(eksClusterArn, kubernetesNamespace) of the queue's first compute environment if it is EKS."""
    backend = batch_backends[account_id][region]
    queue = backend.get_job_queue(queue_arn_or_name)
    if queue is None or not queue.environments:
        return None
    eks = getattr(queue.environments[0], "_gap_eks_configuration", None)
    if not eks:
        return None
    return str(eks["eksClusterArn"]), str(eks["kubernetesNamespace"])
