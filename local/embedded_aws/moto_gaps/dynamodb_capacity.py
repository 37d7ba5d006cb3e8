"""The write request units each DynamoDB write consumes, as AWS bills an on-demand table for them, metered per
table for ``make bench`` (moto answers every write with one unit, whatever it wrote).

From the Developer Guide ("Read/write capacity mode", "Managing settings on DynamoDB provisioned capacity
tables", "Using Global Secondary Indexes", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/):

- a write consumes one unit per KB (rounded up) of the larger of the item before and after it (PutItem,
  UpdateItem), of the item deleted (DeleteItem); a write whose condition fails still consumes the existing
  item's size, one unit at least;
- a write in a transaction (TransactWriteItems) consumes twice that;
- each global secondary index the write changes consumes too, by the size of the index entry: one write to
  add or remove an entry, one to change its projected attributes, two (a delete and a put) to change its key.

Off unless ``METER.on`` (the bench turns it on): it costs a copy of every item a write changes. Reads are not
metered. A transaction that is cancelled is not metered either.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import ConditionalCheckFailed
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from local.embedded_aws.moto_gaps.dynamodb_item_size import item_size

KB = 1024


class WriteMeter:
    def __init__(self) -> None:
        self.on = False
        self._lock = threading.Lock()
        self.units: dict[str, float] = {}  # table name -> write request units
        self._in_transaction = threading.local()

    def add(self, table: str, units: float) -> None:
        factor = 2 if getattr(self._in_transaction, "active", False) else 1
        with self._lock:
            self.units[table] = self.units.get(table, 0.0) + units * factor

    def total(self) -> float:
        with self._lock:
            return float(sum(self.units.values()))


METER = WriteMeter()


def _units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _index_entry(table: Table, index: Any, item: Item | None) -> dict[str, Any] | None:
    """The index's entry for ``item`` (None when the item lacks a key attribute of the index)."""
    if item is None:
        return None
    keys = [key["AttributeName"] for key in index.schema]
    if any(name not in item.attrs for name in keys):
        return None
    projection = index.projection or {}
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return dict(item.attrs)
    names = set(keys) | {table.hash_key_attr} | ({table.range_key_attr} if table.range_key_attr else set())
    if kind == "INCLUDE":
        names |= set(projection.get("NonKeyAttributes", []))
    return {name: item.attrs[name] for name in names if name in item.attrs}


def _index_units(table: Table, before: Item | None, after: Item | None) -> int:
    units = 0
    for index in table.global_indexes:
        old, new = _index_entry(table, index, before), _index_entry(table, index, after)
        keys = [key["AttributeName"] for key in index.schema]
        if old is None and new is None:
            continue
        if old is None or new is None:
            units += _units(item_size(old or new or {}))
        elif any(old[name] != new[name] for name in keys):
            units += _units(item_size(old)) + _units(item_size(new))
        elif old != new:
            units += _units(item_size(new))
    return units


def _metered(write: Callable[..., Any], *, deletes: bool = False) -> Callable[..., Any]:
    def metered(
        self: DynamoDBBackend, table_name: str, key_or_item: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        if not METER.on:
            return write(self, table_name, key_or_item, *args, **kwargs)
        table = self.get_table(table_name)
        keys = {name: key_or_item[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
        hash_key, range_key = self.get_keys_value(table, keys)
        before = copy.deepcopy(table.get_item(hash_key, range_key))
        before_size = item_size(dict(before.attrs)) if before is not None else 0
        try:
            result = write(self, table_name, key_or_item, *args, **kwargs)
        except ConditionalCheckFailed:
            METER.add(table_name, _units(before_size))
            raise
        after = None if deletes else table.get_item(hash_key, range_key)
        after_size = item_size(dict(after.attrs)) if after is not None else 0
        METER.add(table_name, _units(max(before_size, after_size)) + _index_units(table, before, after))
        return result

    return metered


def _transaction(transact: Callable[..., Any]) -> Callable[..., Any]:
    def in_transaction(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        METER._in_transaction.active = True
        try:
            return transact(self, *args, **kwargs)
        finally:
            METER._in_transaction.active = False

    return in_transaction


def install() -> None:
    """After :mod:`.dynamodb_item_size` and :mod:`.dynamodb_transactions`: it meters what they let through."""
    DynamoDBBackend.put_item = _metered(DynamoDBBackend.put_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _metered(DynamoDBBackend.update_item)  # type: ignore[method-assign]
    DynamoDBBackend.delete_item = _metered(DynamoDBBackend.delete_item, deletes=True)  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transaction(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign]
