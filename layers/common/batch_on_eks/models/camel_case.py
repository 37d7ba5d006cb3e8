"""The base of models whose JSON is camelCase (AWS payloads, the workflows' and the API's inputs), Python
snake_case; and how a validation failure becomes ``InvalidInput`` naming each field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.json_model import to_camel


class CamelCaseModel(BaseModel):
    """Reads the camelCase JSON names (and the snake_case names, for tests and code that builds models).

    Unknown fields are ignored: AWS documents that events and responses may gain fields at any time.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )
    # What a person calls this input, in the rule of an unknown field.
    INPUT_NAME: ClassVar[str] = "input"

    @classmethod
    def parse(cls, raw: Any, context: Mapping[str, Any] | None = None) -> Self:
        """The model of ``raw``; InvalidInput naming each field and its rule when it breaks one."""
        try:
            return cls.model_validate(raw, context=dict(context) if context is not None else None)
        except ValidationError as error:
            raise InvalidInput(validation_errors(error, cls.INPUT_NAME)) from None


_RULES_BY_ERROR_TYPE: dict[str, Callable[[str, str], str]] = {
    "missing": lambda _message, _input: "required",
    "extra_forbidden": lambda _message, input_name: f"unknown field: not part of the {input_name}",
}


def validation_errors(error: ValidationError, input_name: str = "input") -> list[dict[str, str]]:
    """Pydantic's errors as ``[{"field": "jobName", "rule": ...}]``: the ``InvalidInput`` Cause names fields.

    The field is the JSON path (camelCase, nested parts joined by ``.``); the rule says what was expected.
    """
    problems = []
    for detail in error.errors(include_url=False):
        field = ".".join(str(part) for part in detail["loc"]) or "(input)"
        message = str(detail["msg"]).removeprefix("Value error, ")
        rule = _RULES_BY_ERROR_TYPE.get(detail["type"], lambda text, _input: text)(message, input_name)
        problems.append({"field": field, "rule": rule})
    return problems
