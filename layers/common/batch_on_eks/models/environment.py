"""A Batch-on-EKS environment as the environments table keeps it (the provisioning workflow writes it)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict, Field

from batch_on_eks.models.camel_case import CamelCaseModel


class EnvironmentStatus(StrEnum):
    PROVISIONING = "PROVISIONING"
    READY = "READY"
    FAILED = "FAILED"
    DELETING = "DELETING"
    DELETED = "DELETED"


class Environment(CamelCaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str  # also the EKS cluster's name
    status: EnvironmentStatus
    namespace: str
    # Known once the cluster is ACTIVE: None while an environment is first being provisioned.
    cluster_arn: str | None = None
    # queue role ("onDemand", "spot") -> job queue ARN; the first is the default queue of a run
    job_queues: dict[str, str] = Field(default_factory=dict)

    def queue_arn(self, name_or_arn: str) -> str | None:
        """The ARN of this environment's queue ``name_or_arn`` (a name or an ARN); None if not one of ours."""
        for arn in self.job_queues.values():
            if name_or_arn in (arn, arn.rsplit("/", 1)[-1]):
                return arn
        return None
