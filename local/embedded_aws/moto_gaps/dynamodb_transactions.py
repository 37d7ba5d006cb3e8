"""TransactWriteItems as AWS runs it: all of it or none of it, on the items it names only.

moto backed up every table a transaction touched (a deep copy of the whole table, for every transaction)
and, to undo a cancelled one, put the copies back: slow in proportion to the table (a run's array children
make thousands of items), and wrong under concurrency, since writes other callers made to *other* items
while the transaction ran were undone with it. AWS isolates a transaction from other writes to its own items
only. Here a transaction keeps a copy of each item it names, and a cancelled one restores those alone.

And as the API reference says (TransactWriteItems; TransactionCanceledException,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html): a condition that
fails, or an item that would pass 400 KB (:mod:`.dynamodb_item_size`), cancels the whole transaction with
``TransactionCanceledException``, one ``CancellationReasons`` entry per action in order (``None`` for the
actions that were fine, ``ConditionalCheckFailed`` or ``ValidationError`` for the one that was not); a request
that is malformed (more than 100 actions, two actions on one item, an action that is not one of Put, Update,
Delete and ConditionCheck) is a ``ValidationException`` before anything runs.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local.embedded_aws.moto_gaps.dynamodb_item_size import put_back

MAX_ACTIONS = 100
_ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")


def _target(backend: DynamoDBBackend, action: str, request: dict[str, Any]) -> tuple[Table, dict[str, Any]]:
    table = backend.get_table(request["TableName"])
    if action != "Put":
        return table, request["Key"]
    item = request["Item"]
    keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return table, {name: item[name] for name in keys if name in item}


def _condition_holds(request: dict[str, Any], current: Item | None) -> bool:
    names = request.get("ExpressionAttributeNames")
    values = request.get("ExpressionAttributeValues")
    return bool(get_filter_expression(request.get("ConditionExpression"), names, values).expr(current))


def _run(backend: DynamoDBBackend, action: str, request: dict[str, Any]) -> None:
    names = request.get("ExpressionAttributeNames")
    values = request.get("ExpressionAttributeValues")
    table_name = request["TableName"]
    if action == "Put":
        backend.put_item(table_name, request["Item"], overwrite=True)
    elif action == "Delete":
        backend.delete_item(table_name, request["Key"])
    elif action == "Update":
        backend.update_item(
            table_name,
            request["Key"],
            update_expression=request["UpdateExpression"],
            expression_attribute_names=names or {},
            expression_attribute_values=values or {},
        )


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > MAX_ACTIONS:
        raise TooManyTransactionsException()
    planned: list[tuple[str, dict[str, Any], Table, DynamoType, DynamoType | None]] = []
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1 or next(iter(entry)) not in _ACTIONS:
            raise TransactWriteSingleOpException()
        ((action, request),) = entry.items()
        table, key = _target(self, action, request)
        hash_key, range_key = self.get_keys_value(table, key)
        identity = (table.name, repr((hash_key, range_key)))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        planned.append((action, request, table, hash_key, range_key))
    saved = [
        copy.deepcopy(table.get_item(hash_key, range_key)) for _, _, table, hash_key, range_key in planned
    ]
    reasons: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for action, request, table, hash_key, range_key in planned:
        current = table.get_item(hash_key, range_key)
        if not _condition_holds(request, current):
            wanted = request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            old = current.to_json()["Attributes"] if wanted and current is not None else None
            reasons.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
            continue
        try:
            _run(self, action, request)
            reasons.append((None, None, None))
        except (ItemSizeTooLarge, ItemSizeToUpdateTooLarge) as too_large:
            reasons.append(("ValidationError", too_large.message, None))
    if any(code is not None for code, _, _ in reasons):
        for (_, _, table, hash_key, range_key), item in zip(planned, saved, strict=True):
            put_back(table, hash_key, range_key, item)
        raise TransactionCanceledException(reasons)


def install() -> None:
    setattr(DynamoDBBackend, "transact_write_items", _transact_write_items)  # noqa: B010
