"""Batch on EKS, which moto knows only on ECS: CreateComputeEnvironment keeps ``eksConfiguration``
(described back with ``containerOrchestrationType: EKS``), defaults ``serviceRole`` to Batch's service-linked
role (created when missing, as Batch does), and follows its readiness (CREATING, then VALID or INVALID);
CreateJobQueue and UpdateJobQueue keep ``jobStateTimeLimitActions``. :func:`eks_namespace_for_queue` tells
the data plane which queues run on EKS."""

from __future__ import annotations

import json

from moto.batch.models import batch_backends
from moto.batch.responses import BatchResponse
from moto.iam import models as iam_models

from local.embedded_aws.moto_gaps.readiness import lifecycle_after_describe, start_creating

_BATCH_SLR = "AWSServiceRoleForBatch"


def _batch_service_linked_role(account_id: str, region: str) -> str:
    """The Batch service-linked role's ARN, created when missing (as Batch itself does)."""
    backend = batch_backends[account_id][region]
    iam = iam_models.iam_backends[account_id][backend.partition]
    for role in list(iam.roles.values()):
        if role.name.lower() == _BATCH_SLR.lower():
            return str(role.arn)
    return str(iam.create_service_linked_role("batch.amazonaws.com", "", "").arn)


def install() -> None:
    cls = BatchResponse
    create_ce = cls.createcomputeenvironment
    describe_ce = cls.describecomputeenvironments
    create_jq = cls.createjobqueue
    describe_jq = cls.describejobqueues
    update_jq = cls.updatejobqueue

    def createcomputeenvironment(self: BatchResponse) -> str:
        backend = batch_backends[self.current_account][self.region]
        if not self._get_param("serviceRole"):
            role = _batch_service_linked_role(self.current_account, self.region)
            body = json.loads(self.body or "{}")
            body["serviceRole"] = role
            self.body = json.dumps(body)
        out = create_ce(self)
        env = backend.get_compute_environment_by_arn(json.loads(out)["computeEnvironmentArn"])
        eks = self._get_param("eksConfiguration")
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
