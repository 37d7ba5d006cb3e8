"""The base of models whose JSON is camelCase (AWS payloads, run inputs), Python snake_case."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelCaseModel(BaseModel):
    """Reads the camelCase JSON names (and the snake_case names, for tests and code that builds models).

    Unknown fields are ignored: AWS documents that events and responses may gain fields at any time.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )
