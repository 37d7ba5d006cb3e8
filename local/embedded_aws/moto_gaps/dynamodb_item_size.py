"""DynamoDB's 400 KB item size, computed and enforced as AWS does it.

moto checked an approximation (a number counted as its text, no overhead for lists and maps) against 405,000
bytes, and only when a top-level attribute was assigned: an ``ADD`` to a set or a nested map, done in place,
was never checked, so an item could grow without bound (the issue's array runs: 178 KB and growing), and an
item AWS accepts could be refused. Here every write is checked on the item it leaves:

- the size is AWS's (Developer Guide, "DynamoDB item sizes and formats",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html): attribute
  names and strings in UTF-8 bytes; a number 1 byte per two significant digits plus 1; binary its raw bytes;
  null and Boolean 1 byte; a list or map 3 bytes plus, per element, 1 byte and the element (a map's element
  with its name); a set the sum of its elements;
- the limit is 400 KB, 409,600 bytes, names and values together (Developer Guide, "Quotas in Amazon
  DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html);
- PutItem and BatchWriteItem answer ``ValidationException`` "Item size has exceeded the maximum allowed
  size" (a batch is refused whole, before anything is written), UpdateItem "Item size to update has exceeded
  the maximum allowed size", and the item is left as it was. TransactWriteItems cancels the transaction
  (:mod:`.dynamodb_transactions`).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge, ItemSizeToUpdateTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

MAX_ITEM_BYTES = 400 * 1024


def _number_size(text: str) -> int:
    mantissa = text.lower().lstrip("+-").split("e", 1)[0]
    digits = mantissa.replace(".", "").lstrip("0").rstrip("0")
    return (max(1, len(digits)) + 1) // 2 + 1


def _binary_size(value: Any) -> int:
    return len(value) if isinstance(value, bytes) else len(base64.b64decode(value))


def value_size(value: Any) -> int:
    """The size of one attribute value, in DynamoDB's JSON form (``{"S": "..."}``) or as moto's DynamoType."""
    if isinstance(value, DynamoType):
        kind, content = value.type, value.value
    else:
        ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return _number_size(str(content))
    if kind == "B":
        return _binary_size(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    if kind == "NS":
        return sum(_number_size(str(element)) for element in content)
    if kind == "BS":
        return sum(_binary_size(element) for element in content)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in content.items())
    raise ValueError(f"not a DynamoDB attribute value type: {kind!r}")


def item_size(attributes: dict[str, Any]) -> int:
    """An item's size, as AWS counts it against the 400 KB limit and in capacity units."""
    return sum(len(name.encode()) + value_size(value) for name, value in attributes.items())


def stored_item_size(item: Item | None) -> int:
    return 0 if item is None else item_size(dict(item.attrs))


def _check_put(attributes: dict[str, Any]) -> None:
    if item_size(attributes) > MAX_ITEM_BYTES:
        raise ItemSizeTooLarge()


def put_back(table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None) -> None:
    """Leave the table's item at ``(hash_key, range_key)`` as ``item`` was (None: no item)."""
    if item is None:
        table.delete_item(hash_key, range_key)
    elif range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item  # type: ignore[assignment]  # a table without a range key


_original_table_put = Table.put_item
_original_update = DynamoDBBackend.update_item
_original_batch_write = DynamoHandler.batch_write_item


def _table_put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    _check_put(item_attrs)
    return _original_table_put(self, item_attrs, *args, **kwargs)


def _update_item(
    self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
) -> Item:
    table = self.get_table(table_name)
    hash_key, range_key = self.get_keys_value(table, key)
    before = copy.deepcopy(table.get_item(hash_key, range_key))
    item = _original_update(self, table_name, key, *args, **kwargs)
    if stored_item_size(item) > MAX_ITEM_BYTES:
        put_back(table, hash_key, range_key, before)
        raise ItemSizeToUpdateTooLarge()
    return item


def _batch_write_item(self: DynamoHandler) -> Any:
    for requests in (self.body or {}).get("RequestItems", {}).values():
        for request in requests:
            if "PutRequest" in request:
                _check_put(request["PutRequest"]["Item"])
    return _original_batch_write(self)


def _unchecked_setitem(self: LimitedSizeDict, key: str, value: Any) -> None:
    dict.__setitem__(self, key, value)


def install() -> None:
    patches: list[tuple[type, str, Callable[..., Any]]] = [
        (Table, "put_item", _table_put_item),
        (DynamoDBBackend, "update_item", _update_item),
        (DynamoHandler, "batch_write_item", _batch_write_item),
        # moto's own approximate check goes: the size above is the one AWS applies
        (LimitedSizeDict, "__setitem__", _unchecked_setitem),
    ]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
