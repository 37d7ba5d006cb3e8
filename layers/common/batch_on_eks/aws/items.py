"""DynamoDB's items for the tables' modules: values as plain JSON values (the resource layer reads every
number as a Decimal), and the projection of a listing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """Decimals as ints (or floats), sets as sorted lists, all the way down."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set):
        return sorted(plain(item) for item in value)
    return value


def projection(fields: tuple[str, ...]) -> dict[str, Any]:
    """A ProjectionExpression through placeholders (``name`` and ``status`` are DynamoDB reserved words)."""
    names = {f"#p{i}": field for i, field in enumerate(fields)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
