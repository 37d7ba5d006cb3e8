"""Plain dataclasses read from and written to their camelCase JSON form, each field declared once.

For the models on every run's hot path (Batch's job events, the runs table's view of a job), which must not
import pydantic: it alone would add about 0.4x a bare ``import boto3`` to each cold start. ``@json_model``
derives from a dataclass's declarations, once per class, how ``from_dict`` reads each field (by its JSON
name, else its Python name; unknown fields ignored; a missing or null optional field None, a missing or
null list empty; a present value of the wrong type a ValueError naming the field) and how ``to_dict``
writes it. A field's JSON name is the camelCase of its Python name unless its metadata says ``json``.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Self

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


def _list[T](value: Any, where: str, item: Callable[[Any, str], T]) -> list[T]:
    """A list (or tuple) whose items ``item`` reads."""
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return [item(element, f"{where}[{i}]") for i, element in enumerate(value)]


def _dict[T](value: Any, where: str, item: Callable[[Any, str], T]) -> dict[str, T]:
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
    if isinstance(kind, type) and issubclass(kind, JsonModel):
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
    if isinstance(kind, type) and issubclass(kind, JsonModel):
        return JsonModel.to_dict
    return None


def to_camel(name: str) -> str:
    """``exit_code`` -> ``exitCode`` (pydantic's own compiles four regular expressions: milliseconds of a
    cold start, for names that are plain snake_case anyway)."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


# How a model reads a field: (Python name, JSON name, the Python name again when it differs, reader,
# required?); and writes one: (Python name, JSON name, writer). Plain tuples: a NamedTuple class costs
# import time, and ``from_dict`` unpacks them anyway.
_Reading = tuple[str, str, str | None, Reader, bool]
_Writing = tuple[str, str, Writer | None]


class JsonModel:
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


_RESOLVED: dict[tuple[str, str], Any] = {}


def _resolve(annotation: Any, module: str) -> Any:
    """The type an annotation of ``module`` names (a string, under ``from __future__ import annotations``),
    evaluated once per distinct string: what ``typing.get_type_hints`` does, without its cost on a cold
    start (it compiles every annotation of every class again, inherited ones included)."""
    if not isinstance(annotation, str):
        return annotation
    key = (module, annotation)
    if key not in _RESOLVED:
        # the models' own annotations, in their own module's namespace
        _RESOLVED[key] = eval(annotation, vars(sys.modules[module]))  # noqa: S307
    return _RESOLVED[key]


def json_model[M: JsonModel](cls: type[M]) -> type[M]:
    """Sets up a ``JsonModel`` dataclass, once: resolves its annotations, and derives each field's JSON
    name, reader and writer. ``to_dict`` writes the fields in declaration order, except that those whose
    metadata say ``written_first`` come first."""
    readings: list[_Reading] = []
    first: list[_Writing] = []
    rest: list[_Writing] = []
    for f in fields(cls):
        kind = _resolve(f.type, cls.__module__)
        key = f.metadata.get("json") or to_camel(f.name)
        required = f.default is MISSING and f.default_factory is MISSING
        readings.append((f.name, key, f.name if f.name != key else None, _reader(kind), required))
        (first if f.metadata.get("written_first") else rest).append((f.name, key, _writer(kind)))
    cls._readings = tuple(readings)
    cls._writings = (*first, *rest)
    return cls
