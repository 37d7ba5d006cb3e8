"""DynamoDB's item size limit, transactions and concurrent requests as AWS handles them
(moto_gaps/dynamodb_item_size.py, dynamodb_transactions.py, dynamodb_concurrency.py), through a real moto
server: the 400 KB limit counted AWS's way on every write (an ADD to a set included), nothing half-written
when a write is refused, a transaction cancelled whole, a request never failing on another under way."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.moto_gaps.dynamodb_concurrency import REQUESTS
from tests.emulator.moto_gaps.support import error_code, unique_name

LIMIT = 400 * 1024  # bytes: attribute names and values together
BOUND = 30.0  # an upper bound on a wait, never a synchronisation


@pytest.fixture(scope="module")
def table(dynamodb: Any) -> str:
    name = unique_name("items")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    return name


def item_of_size(key: str, size: int) -> dict[str, Any]:
    """An item of exactly ``size`` bytes as AWS counts them: "pk" and "blob" (6 bytes of names), the key,
    and a string filling the rest."""
    return {"pk": {"S": key}, "blob": {"S": "x" * (size - 6 - len(key))}}


def stored(dynamodb: Any, table: str, key: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(TableName=table, Key={"pk": {"S": key}}).get("Item")
    return item


def test_an_item_of_exactly_400_kb_is_stored_and_one_byte_more_is_refused(dynamodb: Any, table: str) -> None:
    # Given two items, one of exactly 400 KB and one a byte larger
    at_limit, over = unique_name("at"), unique_name("over")
    # When each is put
    dynamodb.put_item(TableName=table, Item=item_of_size(at_limit, LIMIT))
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName=table, Item=item_of_size(over, LIMIT + 1))
    # Then the first is stored, and the second refused as AWS refuses it, and not stored
    assert stored(dynamodb, table, at_limit) is not None
    assert error_code(refused) == "ValidationException"
    assert refused.value.response["Error"]["Message"] == "Item size has exceeded the maximum allowed size"
    assert stored(dynamodb, table, over) is None


def test_adding_to_a_set_past_400_kb_is_refused_and_leaves_the_item_as_it_was(
    dynamodb: Any, table: str
) -> None:
    # Given an item 100 bytes short of the limit, with a string set
    key = unique_name("set")
    item = item_of_size(key, LIMIT - 100 - len("ids") - len("first"))
    item["ids"] = {"SS": ["first"]}
    dynamodb.put_item(TableName=table, Item=item)
    # When an ADD puts 101 more bytes into the set (an update done in place, which moto never checked)
    with pytest.raises(ClientError) as refused:
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": key}},
            UpdateExpression="ADD ids :more",
            ExpressionAttributeValues={":more": {"SS": ["y" * 101]}},
        )
    # Then it is refused with UpdateItem's own message, and the set is what it was
    assert error_code(refused) == "ValidationException"
    assert refused.value.response["Error"]["Message"] == (
        "Item size to update has exceeded the maximum allowed size"
    )
    after = stored(dynamodb, table, key)
    assert after is not None
    assert after["ids"] == {"SS": ["first"]}
    # And 100 bytes still fit
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": key}},
        UpdateExpression="ADD ids :more",
        ExpressionAttributeValues={":more": {"SS": ["y" * 100]}},
    )


def test_a_batch_with_one_item_over_400_kb_writes_nothing(dynamodb: Any, table: str) -> None:
    # Given a batch of a small item and one over the limit
    small, large = unique_name("small"), unique_name("large")
    requests = [{"PutRequest": {"Item": item_of_size(k, n)}} for k, n in ((small, 100), (large, LIMIT + 1))]
    # When it is written
    with pytest.raises(ClientError) as refused:
        dynamodb.batch_write_item(RequestItems={table: requests})
    # Then the whole batch is refused before anything is written
    assert error_code(refused) == "ValidationException"
    assert stored(dynamodb, table, small) is None
    assert stored(dynamodb, table, large) is None


def test_a_transaction_that_would_pass_400_kb_is_cancelled_whole(dynamodb: Any, table: str) -> None:
    # Given an item near the limit, and a transaction that counts something elsewhere and then grows it
    counter, big = unique_name("counter"), unique_name("big")
    dynamodb.put_item(TableName=table, Item=item_of_size(big, LIMIT - 10))
    actions = [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": counter}},
                "UpdateExpression": "ADD seen :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": big}},
                "UpdateExpression": "SET more = :more",
                "ExpressionAttributeValues": {":more": {"S": "z" * 20}},
            }
        },
    ]
    # When it is written
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=actions)
    # Then it is cancelled, the reason given for the action that would pass the limit, and nothing changed
    assert error_code(cancelled) == "TransactionCanceledException"
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ValidationError"]
    assert stored(dynamodb, table, counter) is None
    after = stored(dynamodb, table, big)
    assert after is not None
    assert "more" not in after


def test_a_failed_condition_cancels_the_transaction_and_names_the_action(dynamodb: Any, table: str) -> None:
    # Given a marker already written, and a transaction that writes it again only if absent, and counts
    marker, counter = unique_name("marker"), unique_name("counter")
    dynamodb.put_item(TableName=table, Item={"pk": {"S": marker}})

    def count_once() -> None:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": counter}},
                        "UpdateExpression": "ADD seen :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": marker}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    # When it is written
    with pytest.raises(ClientError) as cancelled:
        count_once()
    # Then it is cancelled on the condition, and the counter was not counted
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert stored(dynamodb, table, counter) is None


def test_a_request_waits_for_the_one_under_way(dynamodb: Any, table: str) -> None:
    # Given a request under way (the embedded DynamoDB's one-at-a-time lock held, as a request holds it)
    key = unique_name("waiting")
    finished = threading.Event()

    def put() -> None:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": key}})
        finished.set()

    writer = threading.Thread(target=put)
    with REQUESTS:
        # When another request arrives, Then it is not handled while the first is under way
        writer.start()
        assert not finished.wait(0.5)
    # And it is handled once the first is done
    writer.join(BOUND)
    assert finished.is_set()
    assert stored(dynamodb, table, key) is not None
