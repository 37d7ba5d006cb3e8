"""The "Batch Job State Change" EventBridge event, for jobs that run on Amazon EKS.

``detail`` resembles DescribeJobs' JobDetail. AWS says more fields may appear, and for EKS jobs the pod
fields are not always there (an event can lag the pod), so every model ignores unknown fields, every EKS
field and every time is optional, and ``needs_describe()`` tells the caller when to ask DescribeJobs.
The same ``BatchJobDetail`` therefore also parses a DescribeJobs job (after its datetimes are made JSON).

Plain dataclasses with hand-written ``from_dict``/``to_dict``, not pydantic: the job-events and
submit-and-wait functions are on every run's hot path, and importing pydantic (and building its models)
alone would add about 0.4x a bare ``import boto3`` to each of their cold starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Self, TypeVar

from batch_on_eks.models.job_status import JobStatus

T = TypeVar("T")

# -- lenient reading of JSON objects ------------------------------------------------------------------------
# Each field is read by its JSON (camelCase) name, else by its Python name (tests and code that build
# models); unknown fields are ignored; a missing or null optional field is None, a missing or null list an
# empty list (AWS sometimes sends ``null`` where a list is documented). A present value of the wrong type
# is an error naming the field, as a ValueError.


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _object(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{path or 'value'}: expected an object, got {type(data).__name__}")
    return data


def _get(data: Mapping[str, Any], alias: str, name: str) -> Any:
    """The field's value by its JSON name, else by its Python name; None when absent."""
    value = data.get(alias)
    return data.get(name) if value is None and name != alias else value


def _required(data: Mapping[str, Any], alias: str, name: str, path: str) -> Any:
    value = _get(data, alias, name)
    if value is None:
        raise ValueError(f"{_at(path, alias)}: field required")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string, got {type(value).__name__} {value!r}")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _int(value: Any, where: str) -> int:
    """An int, leniently: an integral float or Decimal, or a string of digits, reads as one."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: expected an integer, got {type(value).__name__} {value!r}")


def _opt_int(value: Any, where: str) -> int | None:
    return None if value is None else _int(value, where)


def _list(value: Any, where: str, item: Callable[[Any, str], T]) -> list[T]:
    """A list whose items ``item`` reads; missing or null: empty."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return [item(element, f"{where}[{i}]") for i, element in enumerate(value)]


def _opt_dict(value: Any, where: str, item: Callable[[Any, str], T]) -> dict[str, T] | None:
    """A string-keyed object whose values ``item`` reads; missing or null: None."""
    if value is None:
        return None
    data = _object(value, where)
    return {_str(key, where): item(v, f"{where}.{key}") for key, v in data.items()}


def _any_dict(value: Any, where: str) -> dict[str, Any]:
    return dict(_object(value, where))


def _status(value: Any, where: str) -> JobStatus:
    try:
        return JobStatus(value)
    except ValueError:
        allowed = ", ".join(status.value for status in JobStatus)
        raise ValueError(f"{where}: expected one of {allowed}, got {value!r}") from None


def _datetime(value: Any, where: str) -> datetime:
    """An aware datetime from ISO 8601 ("2026-11-29T03:57:05Z"; no offset: UTC) or epoch (s or ms)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: expected an ISO 8601 date and time, got {value!r}") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 2e10 else value  # pydantic's rule: large numbers are ms
        parsed = datetime.fromtimestamp(seconds, UTC)
    else:
        raise ValueError(f"{where}: expected an ISO 8601 date and time, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _without_none(pairs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in pairs.items() if value is not None}


# -- the models -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Container:
    """A container, in ``eksProperties.podProperties`` (its spec, and how the current attempt ended) or
    in ``eksAttempts[]`` (how that attempt ended, and its ``containerID``). One model serves both: the
    fields that one place lacks stay empty."""

    name: str | None = None
    image: str | None = None
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    container_id: str | None = None
    exit_code: int | None = None
    reason: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        d = _object(data, path)
        return cls(
            name=_opt_str(_get(d, "name", "name"), _at(path, "name")),
            image=_opt_str(_get(d, "image", "image"), _at(path, "image")),
            command=_list(_get(d, "command", "command"), _at(path, "command"), _str),
            args=_list(_get(d, "args", "args"), _at(path, "args"), _str),
            container_id=_opt_str(_get(d, "containerID", "container_id"), _at(path, "containerID")),
            exit_code=_opt_int(_get(d, "exitCode", "exit_code"), _at(path, "exitCode")),
            reason=_opt_str(_get(d, "reason", "reason"), _at(path, "reason")),
        )

    def to_dict(self) -> dict[str, Any]:
        return _without_none(
            {
                "name": self.name,
                "image": self.image,
                "command": list(self.command),
                "args": list(self.args),
                "containerID": self.container_id,
                "exitCode": self.exit_code,
                "reason": self.reason,
            }
        )


def _containers(value: Any, where: str) -> list[Container]:
    return _list(value, where, lambda item, at: Container.from_dict(item, path=at))


@dataclass(frozen=True)
class PodProperties:
    """``eksProperties.podProperties``: the pod spec, plus the pod and node of the *current* attempt."""

    containers: list[Container] = field(default_factory=list)
    pod_name: str | None = None
    node_name: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        d = _object(data, path)
        return cls(
            containers=_containers(_get(d, "containers", "containers"), _at(path, "containers")),
            pod_name=_opt_str(_get(d, "podName", "pod_name"), _at(path, "podName")),
            node_name=_opt_str(_get(d, "nodeName", "node_name"), _at(path, "nodeName")),
        )

    def to_dict(self) -> dict[str, Any]:
        return _without_none(
            {
                "containers": [c.to_dict() for c in self.containers],
                "podName": self.pod_name,
                "nodeName": self.node_name,
            }
        )


@dataclass(frozen=True)
class EksProperties:
    """``eksProperties``: only ``podProperties`` matters here."""

    pod_properties: PodProperties | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        d = _object(data, path)
        pod = _get(d, "podProperties", "pod_properties")
        where = _at(path, "podProperties")
        return cls(pod_properties=None if pod is None else PodProperties.from_dict(pod, path=where))

    def to_dict(self) -> dict[str, Any]:
        pod = self.pod_properties
        return _without_none({"podProperties": pod.to_dict() if pod is not None else None})


@dataclass(frozen=True)
class EksAttempt:
    """One finished attempt of the job: where its pod ran and how it ended."""

    containers: list[Container] = field(default_factory=list)
    eks_cluster_arn: str | None = None
    pod_name: str | None = None
    pod_namespace: str | None = None
    node_name: str | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    status_reason: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        d = _object(data, path)
        return cls(
            containers=_containers(_get(d, "containers", "containers"), _at(path, "containers")),
            eks_cluster_arn=_opt_str(_get(d, "eksClusterArn", "eks_cluster_arn"), _at(path, "eksClusterArn")),
            pod_name=_opt_str(_get(d, "podName", "pod_name"), _at(path, "podName")),
            pod_namespace=_opt_str(_get(d, "podNamespace", "pod_namespace"), _at(path, "podNamespace")),
            node_name=_opt_str(_get(d, "nodeName", "node_name"), _at(path, "nodeName")),
            started_at=_opt_int(_get(d, "startedAt", "started_at"), _at(path, "startedAt")),
            stopped_at=_opt_int(_get(d, "stoppedAt", "stopped_at"), _at(path, "stoppedAt")),
            status_reason=_opt_str(_get(d, "statusReason", "status_reason"), _at(path, "statusReason")),
        )

    def to_dict(self) -> dict[str, Any]:
        return _without_none(
            {
                "containers": [c.to_dict() for c in self.containers],
                "eksClusterArn": self.eks_cluster_arn,
                "podName": self.pod_name,
                "podNamespace": self.pod_namespace,
                "nodeName": self.node_name,
                "startedAt": self.started_at,
                "stoppedAt": self.stopped_at,
                "statusReason": self.status_reason,
            }
        )


@dataclass(frozen=True)
class ArrayProperties:
    """An array parent carries ``size`` and ``statusSummary``; an array child carries its ``index``."""

    size: int | None = None
    index: int | None = None
    status_summary: dict[str, int] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        d = _object(data, path)
        summary = _get(d, "statusSummary", "status_summary")
        return cls(
            size=_opt_int(_get(d, "size", "size"), _at(path, "size")),
            index=_opt_int(_get(d, "index", "index"), _at(path, "index")),
            status_summary=_opt_dict(summary, _at(path, "statusSummary"), _int),
        )

    def to_dict(self) -> dict[str, Any]:
        summary = dict(self.status_summary) if self.status_summary is not None else None
        return _without_none({"size": self.size, "index": self.index, "statusSummary": summary})


class PodLocation(NamedTuple):
    """Where the job's current (or last) pod runs: what log stream names and log queries need."""

    pod_name: str
    node_name: str | None
    namespace: str | None


@dataclass(frozen=True)
class BatchJobDetail:
    """``detail`` of a "Batch Job State Change" event for an EKS job (times are epoch milliseconds)."""

    job_name: str
    job_id: str
    job_queue: str
    status: JobStatus
    job_arn: str | None = None
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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        """The detail from its JSON form (an event's ``detail``, a DescribeJobs job, or ``to_dict()``).

        ``jobName``, ``jobId``, ``jobQueue`` and a valid ``status`` are required; anything else may be
        missing. Raises ValueError naming the first field that is missing or of the wrong type.
        """
        d = _object(data, path)
        array = _get(d, "arrayProperties", "array_properties")
        eks = _get(d, "eksProperties", "eks_properties")
        array_properties = (
            None if array is None else ArrayProperties.from_dict(array, path=_at(path, "arrayProperties"))
        )
        eks_properties = (
            None if eks is None else EksProperties.from_dict(eks, path=_at(path, "eksProperties"))
        )
        return cls(
            job_name=_str(_required(d, "jobName", "job_name", path), _at(path, "jobName")),
            job_id=_str(_required(d, "jobId", "job_id", path), _at(path, "jobId")),
            job_queue=_str(_required(d, "jobQueue", "job_queue", path), _at(path, "jobQueue")),
            status=_status(_required(d, "status", "status", path), _at(path, "status")),
            job_arn=_opt_str(_get(d, "jobArn", "job_arn"), _at(path, "jobArn")),
            status_reason=_opt_str(_get(d, "statusReason", "status_reason"), _at(path, "statusReason")),
            created_at=_opt_int(_get(d, "createdAt", "created_at"), _at(path, "createdAt")),
            started_at=_opt_int(_get(d, "startedAt", "started_at"), _at(path, "startedAt")),
            stopped_at=_opt_int(_get(d, "stoppedAt", "stopped_at"), _at(path, "stoppedAt")),
            job_definition=_opt_str(_get(d, "jobDefinition", "job_definition"), _at(path, "jobDefinition")),
            tags=_opt_dict(_get(d, "tags", "tags"), _at(path, "tags"), _str),
            attempts=_list(_get(d, "attempts", "attempts"), _at(path, "attempts"), _any_dict),
            array_properties=array_properties,
            eks_properties=eks_properties,
            eks_attempts=_list(
                _get(d, "eksAttempts", "eks_attempts"),
                _at(path, "eksAttempts"),
                lambda item, at: EksAttempt.from_dict(item, path=at),
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The camelCase JSON form, without the fields that are None: what ``from_dict`` reads back."""
        array, eks = self.array_properties, self.eks_properties
        return _without_none(
            {
                "jobArn": self.job_arn,
                "jobName": self.job_name,
                "jobId": self.job_id,
                "jobQueue": self.job_queue,
                "status": self.status.value,
                "statusReason": self.status_reason,
                "createdAt": self.created_at,
                "startedAt": self.started_at,
                "stoppedAt": self.stopped_at,
                "jobDefinition": self.job_definition,
                "tags": dict(self.tags) if self.tags is not None else None,
                "attempts": [dict(attempt) for attempt in self.attempts],
                "arrayProperties": array.to_dict() if array is not None else None,
                "eksProperties": eks.to_dict() if eks is not None else None,
                "eksAttempts": [attempt.to_dict() for attempt in self.eks_attempts],
            }
        )

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


@dataclass(frozen=True, kw_only=True)
class EventBridgeEnvelope:
    """The envelope EventBridge delivers to a target (the fields of Powertools' ``EventBridgeModel``).

    Declared here rather than imported from Powertools' parser: importing the parser package loads every
    envelope it knows (SQS, Kinesis, API Gateway, ...), about 0.1 s on the job-events function's cold start.
    """

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail_type: str
    replay_name: str | None = None

    @staticmethod
    def _envelope_fields(data: Mapping[str, Any], path: str) -> dict[str, Any]:
        """The envelope's fields, read from ``data`` (keys ``detail-type``/``replay-name``, or Python's)."""

        def required_str(alias: str, name: str) -> str:
            return _str(_required(data, alias, name, path), _at(path, alias))

        return {
            "version": required_str("version", "version"),
            "id": required_str("id", "id"),
            "source": required_str("source", "source"),
            "account": required_str("account", "account"),
            "time": _datetime(_required(data, "time", "time", path), _at(path, "time")),
            "region": required_str("region", "region"),
            "resources": _list(_required(data, "resources", "resources", path), _at(path, "resources"), _str),
            "detail_type": required_str("detail-type", "detail_type"),
            "replay_name": _opt_str(_get(data, "replay-name", "replay_name"), _at(path, "replay-name")),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        return cls(**cls._envelope_fields(_object(data, path), path))

    def to_dict(self) -> dict[str, Any]:
        return _without_none(
            {
                "version": self.version,
                "id": self.id,
                "source": self.source,
                "account": self.account,
                "time": _iso(self.time),
                "region": self.region,
                "resources": list(self.resources),
                "detail-type": self.detail_type,
                "replay-name": self.replay_name,
            }
        )


@dataclass(frozen=True, kw_only=True)
class BatchJobStateChangeEvent(EventBridgeEnvelope):
    """The EventBridge envelope (``source: aws.batch``, ``detail-type: Batch Job State Change``)."""

    detail: BatchJobDetail

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        d = _object(data, path)
        detail = BatchJobDetail.from_dict(_required(d, "detail", "detail", path), path=_at(path, "detail"))
        return cls(**cls._envelope_fields(d, path), detail=detail)

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"detail": self.detail.to_dict()}
