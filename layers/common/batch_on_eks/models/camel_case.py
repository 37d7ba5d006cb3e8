"""The base of models whose JSON is camelCase (AWS payloads, run inputs), Python snake_case."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


def to_camel(name: str) -> str:
    """``exit_code`` -> ``exitCode``. (Pydantic's own ``to_camel`` compiles four regular expressions on the
    first model: a few milliseconds of every cold start, for names that are plain snake_case anyway.)"""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


class CamelCaseModel(BaseModel):
    """Reads the camelCase JSON names (and the snake_case names, for tests and code that builds models).

    Unknown fields are ignored: AWS documents that events and responses may gain fields at any time.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )
