"""A Batch-on-EKS environment as the environments table keeps it (the provision and teardown workflows write
it; runs, the API and the stack's teardown read it).

A plain dataclass (:mod:`.json_model`), not pydantic: every run's Validate step reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from batch_on_eks.models.json_model import JsonModel, json_model


class EnvironmentStatus(StrEnum):
    PROVISIONING = "PROVISIONING"
    READY = "READY"
    FAILED = "FAILED"
    DELETING = "DELETING"
    DELETED = "DELETED"


# The statuses in which an execution holds the environment (the others are at rest).
HELD = (EnvironmentStatus.PROVISIONING, EnvironmentStatus.DELETING)


@json_model
@dataclass
class Environment(JsonModel):
    """Read from the table's item by its camelCase names (or its Python names); unknown ones ignored."""

    name: str  # also the EKS cluster's name
    status: EnvironmentStatus
    namespace: str | None = None
    # The provision or teardown execution that holds it (last), and when it claimed it (epoch ms).
    execution_arn: str | None = None
    claimed_at: int | None = None
    # Known once the cluster is ACTIVE: None while an environment is first being provisioned.
    cluster_arn: str | None = None
    # queue role ("onDemand", "spot") -> job queue ARN; the first is the default queue of a run. None (as
    # outputs and timeline) until a step has written it.
    job_queues: dict[str, str] | None = None
    # What a person needs once it is READY: the update-kubeconfig command, queues, hello-world commands.
    outputs: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None  # the step, the error and AWS's reason, once FAILED
    timeline: list[dict[str, Any]] | None = None
    rollback_execution_arn: str | None = None
    # The workflows' own bookkeeping: what each step made (names, ARNs, the Kubernetes objects written).
    resources: dict[str, Any] = field(default_factory=dict)

    def queue_arn(self, name_or_arn: str) -> str | None:
        """The ARN of this environment's queue ``name_or_arn`` (a name or an ARN); None if not one of ours."""
        for arn in (self.job_queues or {}).values():
            if name_or_arn in (arn, arn.rsplit("/", 1)[-1]):
                return arn
        return None
