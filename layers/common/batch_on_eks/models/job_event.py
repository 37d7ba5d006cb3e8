"""The "Batch Job State Change" EventBridge event, for jobs that run on Amazon EKS.

``detail`` resembles DescribeJobs' JobDetail. AWS says more fields may appear, and for EKS jobs the pod
fields are not always there (an event can lag the pod), so every model ignores unknown fields, every EKS
field and every time is optional, and ``needs_describe()`` tells the caller when to ask DescribeJobs.
The same ``BatchJobDetail`` therefore also parses a DescribeJobs job (after its datetimes are made JSON).

Plain dataclasses (:mod:`.json_model`), not pydantic: the job-events and submit-and-wait functions are on
every run's hot path. The event's EventBridge envelope is in :mod:`.job_state_change`: only the job-events
function reads it, and every hot-path function imports this module (a dataclass costs a cold start about
0.9% of a bare ``import boto3``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.json_model import JsonModel, json_model


# -- the models -----------------------------------------------------------------------------------------
@json_model
@dataclass(frozen=True)
class Container(JsonModel):
    """A container, in ``eksProperties.podProperties`` (its spec, and how the current attempt ended) or
    in ``eksAttempts[]`` (how that attempt ended, and its ``containerID``). One model serves both: the
    fields that one place lacks stay empty."""

    name: str | None = None
    image: str | None = None
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    container_id: str | None = field(default=None, metadata={"json": "containerID"})
    exit_code: int | None = None
    reason: str | None = None


@json_model
@dataclass(frozen=True)
class PodProperties(JsonModel):
    """``eksProperties.podProperties``: the pod spec, plus the pod and node of the *current* attempt."""

    containers: list[Container] = field(default_factory=list)
    pod_name: str | None = None
    node_name: str | None = None


@json_model
@dataclass(frozen=True)
class EksProperties(JsonModel):
    """``eksProperties``: only ``podProperties`` matters here."""

    pod_properties: PodProperties | None = None


@json_model
@dataclass(frozen=True)
class EksAttempt(JsonModel):
    """One finished attempt of the job: where its pod ran and how it ended."""

    containers: list[Container] = field(default_factory=list)
    eks_cluster_arn: str | None = None
    pod_name: str | None = None
    pod_namespace: str | None = None
    node_name: str | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    status_reason: str | None = None


@json_model
@dataclass(frozen=True)
class ArrayProperties(JsonModel):
    """An array parent carries ``size`` and ``statusSummary``; an array child carries its ``index``."""

    size: int | None = None
    index: int | None = None
    status_summary: dict[str, int] | None = None


class PodLocation(NamedTuple):
    """Where the job's current (or last) pod runs: what log stream names and log queries need."""

    pod_name: str
    node_name: str | None
    namespace: str | None


@json_model
@dataclass(frozen=True)
class BatchJobDetail(JsonModel):
    """``detail`` of a "Batch Job State Change" event for an EKS job (times are epoch milliseconds).

    ``from_dict`` reads an event's ``detail``, a DescribeJobs job, or ``to_dict()``: ``jobName``, ``jobId``,
    ``jobQueue`` and a valid ``status`` are required; anything else may be missing.
    """

    job_name: str
    job_id: str
    job_queue: str
    status: JobStatus
    job_arn: str | None = field(default=None, metadata={"written_first": True})  # as DescribeJobs has it
    status_reason: str | None = None
    created_at: int | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    job_definition: str | None = None
    tags: dict[str, str] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    array_properties: ArrayProperties | None = None
    eks_properties: EksProperties | None = None
    eks_attempts: list[EksAttempt] = field(default_factory=list)

    # -- where the job is --------------------------------------------------------------------------------
    @property
    def finished_attempts(self) -> int:
        """How many attempts have ended: the attempt count that ``is_newer`` compares."""
        return len(self.eks_attempts)

    @property
    def pod_properties(self) -> PodProperties | None:
        return self.eks_properties.pod_properties if self.eks_properties else None

    def _last_attempt_is_current(self) -> bool:
        """Whether the last finished attempt is the one ``podProperties`` describes.

        ``podProperties`` names the pod of the current attempt; ``eksAttempts`` lists finished ones. They
        agree on a terminal event; while a retry runs, ``podProperties`` names a newer pod than the last
        finished attempt, whose exit code and node belong to the past.
        """
        if not self.eks_attempts or not self.eks_attempts[-1].pod_name:
            return False
        current = self.pod_properties.pod_name if self.pod_properties else None
        return current is None or current == self.eks_attempts[-1].pod_name

    def current_pod(self) -> PodLocation | None:
        """The pod, node and namespace of the current attempt; ``None`` when the event names no pod.

        The last ``eksAttempts`` entry when it is the current attempt (it also carries the namespace), else
        ``podProperties`` (the namespace then comes from an earlier attempt, if any: a job's pods all run
        in its compute environment's namespace).
        """
        last = self.eks_attempts[-1] if self.eks_attempts else None
        if last is not None and last.pod_name and self._last_attempt_is_current():
            return PodLocation(last.pod_name, last.node_name, last.pod_namespace)
        pod = self.pod_properties
        if pod is not None and pod.pod_name:
            return PodLocation(pod.pod_name, pod.node_name, last.pod_namespace if last else None)
        return None

    # -- how the application container ended ----------------------------------------------------------
    def _application_containers(self, container_name: str | None) -> list[Container]:
        """The application container as each source of the current attempt reports it, best first.

        The application container is ``container_name``, or the first container of the pod (Batch keeps
        the job definition's order); a source without it is skipped.
        """
        sources: list[list[Container]] = []
        if self._last_attempt_is_current():
            sources.append(list(self.eks_attempts[-1].containers))
        if self.pod_properties is not None:
            sources.append(list(self.pod_properties.containers))
        found: list[Container] = []
        for containers in sources:
            if container_name is None:
                found.extend(containers[:1])
            else:
                found.extend(c for c in containers if c.name == container_name)
        return found

    def exit_code(self, container_name: str | None = None) -> int | None:
        """The application container's exit code, ``None`` while it runs or when the event omits it."""
        codes = (c.exit_code for c in self._application_containers(container_name))
        return next((code for code in codes if code is not None), None)

    def container_reason(self, container_name: str | None = None) -> str | None:
        """Why the application container stopped (Kubernetes' reason, e.g. ``OOMKilled``), if known."""
        reasons = (c.reason for c in self._application_containers(container_name))
        return next((reason for reason in reasons if reason), None)

    # -- array jobs -------------------------------------------------------------------------------------
    @property
    def is_array_child(self) -> bool:
        """A child's job id is ``<parent id>:<index>``, and its ``arrayProperties`` carry the index."""
        return ":" in self.job_id or (
            self.array_properties is not None and self.array_properties.index is not None
        )

    @property
    def is_array_parent(self) -> bool:
        """A parent has ``arrayProperties`` (size, status summary) and is no child; it never has a pod."""
        return self.array_properties is not None and not self.is_array_child

    # -- completeness ------------------------------------------------------------------------------------
    def needs_describe(self, container_name: str | None = None) -> bool:
        """Whether a terminal event lacks the pod, node or exit code, so the caller must call DescribeJobs.

        Non-terminal events never need it (nothing is reported from them but the status), and neither does
        an array parent (it has no pod). DescribeJobs may lack them too (a job cancelled before it started
        never had a pod): the caller then reports what it has. The namespace is not required: the
        environment's record knows it.
        """
        if not self.status.is_terminal or self.is_array_parent:
            return False
        pod = self.current_pod()
        return pod is None or pod.node_name is None or self.exit_code(container_name) is None
