"""The "Batch Job State Change" EventBridge event, for jobs that run on Amazon EKS.

``detail`` resembles DescribeJobs' JobDetail. AWS says more fields may appear, and for EKS jobs the pod
fields are not always there (an event can lag the pod), so every model ignores unknown fields, every EKS
field and every time is optional, and ``needs_describe()`` tells the caller when to ask DescribeJobs.
The same ``BatchJobDetail`` therefore also parses a DescribeJobs job (after its datetimes are made JSON).

Plain dataclasses, not pydantic: the job-events and submit-and-wait functions are on every run's hot path,
and importing pydantic (and building its models) alone would add about 0.4x a bare ``import boto3`` to
each of their cold starts. Each field is declared once; ``@_json_model`` derives from the declarations,
once per class, how ``from_dict`` reads each field and how ``to_dict`` writes it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, NamedTuple, Self, TypeVar

from batch_on_eks.models.job_status import JobStatus

T = TypeVar("T")
Reader = Callable[[Any, str], Any]
Writer = Callable[[Any], Any]

# -- lenient reading of JSON objects ------------------------------------------------------------------------
# Each field is read by its JSON name (the camelCase of its Python name, unless its metadata names another:
# ``field(metadata={"json": "containerID"})``), else by its Python name (tests and code that build models);
# unknown fields are ignored; a missing or null field takes its default (None, or an empty list: AWS
# sometimes sends ``null`` where a list is documented), and one without a default is required. A present
# value of the wrong type is an error naming the field's path, as a ValueError.


def _object(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{path or 'value'}: expected an object, got {type(data).__name__}")
    return data


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string, got {type(value).__name__} {value!r}")
    return value


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


def _list(value: Any, where: str, item: Callable[[Any, str], T]) -> list[T]:
    """A list (or tuple) whose items ``item`` reads."""
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return [item(element, f"{where}[{i}]") for i, element in enumerate(value)]


def _dict(value: Any, where: str, item: Callable[[Any, str], T]) -> dict[str, T]:
    """A string-keyed object whose values ``item`` reads."""
    data = _object(value, where)
    return {_str(key, where): item(v, f"{where}.{key}") for key, v in data.items()}


def _any_dict(value: Any, where: str) -> dict[str, Any]:
    return dict(_object(value, where))


def _enum(kind: type[Enum]) -> Reader:
    allowed = ", ".join(str(member.value) for member in kind)

    def read(value: Any, where: str) -> Enum:
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{where}: expected one of {allowed}, got {value!r}") from None

    return read


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


# -- one from_dict and one to_dict, driven by the fields' declarations ---------------------------------------
def _unless_none(kind: Any) -> Any:
    """``X`` of ``X | None``; any other type as it is (a missing or null value never reaches a reader)."""
    if typing.get_origin(kind) in (types.UnionType, typing.Union):
        (kind,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
    return kind


def _reader(kind: Any) -> Reader:
    """How to read a present, non-null value of the (resolved) annotation ``kind``."""
    kind = _unless_none(kind)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        item = _reader(args[0])
        return lambda value, where: _list(value, where, item)
    if origin is dict:
        if args[1] is Any:
            return _any_dict
        value_reader = _reader(args[1])
        return lambda value, where: _dict(value, where, value_reader)
    if kind is str:
        return _str
    if kind is int:
        return _int
    if kind is datetime:
        return _datetime
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum(kind)
    if isinstance(kind, type) and issubclass(kind, _JsonModel):
        model = kind
        return lambda value, where: model.from_dict(value, path=where)
    raise TypeError(f"no reader for {kind!r}")


def _writer(kind: Any) -> Writer | None:
    """How to write a non-null value of the annotation ``kind`` as JSON; None: as it is."""
    kind = _unless_none(kind)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        item = _writer(args[0])
        return list if item is None else (lambda value: [item(element) for element in value])
    if origin is dict:
        value_writer = _writer(args[1])
        return (
            dict if value_writer is None else (lambda value: {k: value_writer(v) for k, v in value.items()})
        )
    if kind is datetime:
        return _iso
    if isinstance(kind, type) and issubclass(kind, Enum):
        return lambda value: value.value
    if isinstance(kind, type) and issubclass(kind, _JsonModel):
        return _JsonModel.to_dict
    return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


# How a model reads a field: (Python name, JSON name, the Python name again when it differs, reader,
# required?); and writes one: (Python name, JSON name, writer). Plain tuples: a NamedTuple class costs
# import time, and ``from_dict`` unpacks them anyway.
_Reading = tuple[str, str, str | None, Reader, bool]
_Writing = tuple[str, str, Writer | None]


class _JsonModel:
    """A dataclass read from and written to its camelCase JSON form, as ``@_json_model`` sets it up."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    _readings: ClassVar[tuple[_Reading, ...]]
    _writings: ClassVar[tuple[_Writing, ...]]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "") -> Self:
        """The model from its JSON form; raises ValueError naming the first field (in declaration order)
        that is missing although required, or present with a value of the wrong type."""
        d = _object(data, path)
        prefix = f"{path}." if path else ""
        values: dict[str, Any] = {}
        for name, key, other, read, required in cls._readings:
            value = d.get(key)
            if value is None and other is not None:
                value = d.get(other)
            if value is not None:
                values[name] = read(value, prefix + key)
            elif required:
                raise ValueError(f"{prefix}{key}: field required")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form by the JSON names, without the fields that are None: what ``from_dict`` reads."""
        written: dict[str, Any] = {}
        for name, key, write in self._writings:
            value = getattr(self, name)
            if value is not None:
                written[key] = value if write is None else write(value)
        return written


M = TypeVar("M", bound=_JsonModel)
_RESOLVED: dict[str, Any] = {}


def _resolve(annotation: Any) -> Any:
    """The type an annotation names (a string, under ``from __future__ import annotations``), evaluated once
    per distinct string: what ``typing.get_type_hints`` does, without its cost on a cold start (it compiles
    every annotation of every class again, inherited ones included)."""
    if not isinstance(annotation, str):
        return annotation
    if annotation not in _RESOLVED:
        _RESOLVED[annotation] = eval(annotation, globals())  # noqa: S307 (this module's own annotations)
    return _RESOLVED[annotation]


def _json_model(cls: type[M]) -> type[M]:
    """Sets up a ``_JsonModel`` dataclass, once: resolves its annotations, and derives each field's JSON
    name, reader and writer. ``to_dict`` writes the fields in declaration order, except that those whose
    metadata say ``written_first`` come first."""
    readings: list[_Reading] = []
    first: list[_Writing] = []
    rest: list[_Writing] = []
    for f in fields(cls):
        kind = _resolve(f.type)
        key = f.metadata.get("json") or _camel(f.name)
        required = f.default is MISSING and f.default_factory is MISSING
        readings.append((f.name, key, f.name if f.name != key else None, _reader(kind), required))
        (first if f.metadata.get("written_first") else rest).append((f.name, key, _writer(kind)))
    cls._readings = tuple(readings)
    cls._writings = (*first, *rest)
    return cls


# -- the models -----------------------------------------------------------------------------------------
@_json_model
@dataclass(frozen=True)
class Container(_JsonModel):
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


@_json_model
@dataclass(frozen=True)
class PodProperties(_JsonModel):
    """``eksProperties.podProperties``: the pod spec, plus the pod and node of the *current* attempt."""

    containers: list[Container] = field(default_factory=list)
    pod_name: str | None = None
    node_name: str | None = None


@_json_model
@dataclass(frozen=True)
class EksProperties(_JsonModel):
    """``eksProperties``: only ``podProperties`` matters here."""

    pod_properties: PodProperties | None = None


@_json_model
@dataclass(frozen=True)
class EksAttempt(_JsonModel):
    """One finished attempt of the job: where its pod ran and how it ended."""

    containers: list[Container] = field(default_factory=list)
    eks_cluster_arn: str | None = None
    pod_name: str | None = None
    pod_namespace: str | None = None
    node_name: str | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    status_reason: str | None = None


@_json_model
@dataclass(frozen=True)
class ArrayProperties(_JsonModel):
    """An array parent carries ``size`` and ``statusSummary``; an array child carries its ``index``."""

    size: int | None = None
    index: int | None = None
    status_summary: dict[str, int] | None = None


class PodLocation(NamedTuple):
    """Where the job's current (or last) pod runs: what log stream names and log queries need."""

    pod_name: str
    node_name: str | None
    namespace: str | None


@_json_model
@dataclass(frozen=True)
class BatchJobDetail(_JsonModel):
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


@_json_model
@dataclass(frozen=True, kw_only=True)
class EventBridgeEnvelope(_JsonModel):
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
    detail_type: str = field(metadata={"json": "detail-type"})
    replay_name: str | None = field(default=None, metadata={"json": "replay-name"})


@_json_model
@dataclass(frozen=True, kw_only=True)
class BatchJobStateChangeEvent(EventBridgeEnvelope):
    """The EventBridge envelope (``source: aws.batch``, ``detail-type: Batch Job State Change``)."""

    detail: BatchJobDetail
