"""The write units DynamoDB writes consume, as AWS bills them (moto_gaps/dynamodb_capacity.py): what
``make bench`` reports as a run's DynamoDB cost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.moto_gaps.dynamodb_capacity import METER
from tests.emulator.moto_gaps.support import unique_name


@pytest.fixture(scope="module")
def table(dynamodb: Any) -> str:
    """A table with one index, keyed by ``due`` (present on some items only), projecting keys only."""
    name = unique_name("metered")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "due", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByDue",
                "KeySchema": [{"AttributeName": "due", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    return name


@pytest.fixture(autouse=True)
def _metering() -> Iterator[None]:
    METER.on = True
    yield
    METER.on = False


def units_of(write: Callable[[], Any]) -> float:
    before = METER.total()
    write()
    return METER.total() - before


def text(size: int) -> dict[str, str]:
    return {"S": "x" * size}


def test_a_write_costs_a_unit_per_kilobyte_of_the_larger_of_the_item_before_and_after(
    dynamodb: Any, table: str
) -> None:
    key = unique_name("item")
    # A new item of 1.5 KB: 2 units; growing it to 3 KB: 3; shrinking it back to 1 KB: 3 (the larger)
    assert units_of(lambda: dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "v": text(1500)})) == 2
    grow = {":v": text(3000)}
    assert (
        units_of(
            lambda: dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET v = :v",
                ExpressionAttributeValues=grow,
            )
        )
        == 3
    )
    assert units_of(lambda: dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "v": text(900)})) == 3
    # A write whose condition fails still costs the existing item's size (now under 1 KB: 1 unit)
    before = METER.total()
    with pytest.raises(ClientError):
        dynamodb.put_item(
            TableName=table, Item={"pk": {"S": key}}, ConditionExpression="attribute_not_exists(pk)"
        )
    assert METER.total() - before == 1


def test_an_index_entry_costs_its_own_writes(dynamodb: Any, table: str) -> None:
    key = unique_name("indexed")
    # Given an item of under 1 KB that enters the index: 1 unit for the item, 1 for its index entry
    assert (
        units_of(lambda: dynamodb.put_item(TableName=table, Item={"pk": {"S": key}, "due": {"N": "1"}})) == 2
    )
    # When its index key changes: the item, and a delete and a put in the index
    assert (
        units_of(
            lambda: dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET due = :due",
                ExpressionAttributeValues={":due": {"N": "2"}},
            )
        )
        == 3
    )
    # When it leaves the index: the item, and the entry's removal
    assert (
        units_of(
            lambda: dynamodb.update_item(
                TableName=table, Key={"pk": {"S": key}}, UpdateExpression="REMOVE due"
            )
        )
        == 2
    )


def test_a_transaction_costs_twice_its_writes(dynamodb: Any, table: str) -> None:
    first, second = unique_name("one"), unique_name("two")
    actions = [{"Put": {"TableName": table, "Item": {"pk": {"S": key}}}} for key in (first, second)]
    assert units_of(lambda: dynamodb.transact_write_items(TransactItems=actions)) == 4
