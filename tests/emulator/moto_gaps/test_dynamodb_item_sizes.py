"""Item sizes counted as AWS counts them (Developer Guide, "DynamoDB item sizes and formats"): what the 400 KB
limit and the write units of ``make bench`` are measured with."""

from __future__ import annotations

from typing import Any

import pytest

from local.embedded_aws.moto_gaps.dynamodb_item_size import item_size


@pytest.mark.parametrize(
    ("attributes", "size"),
    [
        pytest.param({"name": {"S": "héllo"}}, 4 + 6, id="string-in-utf8-bytes"),
        pytest.param({"n": {"N": "12345"}}, 1 + 3 + 1, id="number-five-digits"),
        pytest.param({"n": {"N": "-0012.3400"}}, 1 + 2 + 1, id="number-zeros-trimmed"),
        pytest.param({"n": {"N": "0"}}, 1 + 2, id="number-zero"),
        pytest.param({"flag": {"BOOL": True}, "none": {"NULL": True}}, 4 + 1 + 4 + 1, id="boolean-and-null"),
        pytest.param({"b": {"B": "AAEC"}}, 1 + 3, id="binary-raw-bytes"),
        pytest.param({"l": {"L": []}, "m": {"M": {}}}, 1 + 3 + 1 + 3, id="empty-list-and-map"),
        pytest.param(
            {"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (1 + 2) + (1 + 2), id="list-element-overhead"
        ),
        pytest.param({"m": {"M": {"key": {"S": "v"}}}}, 1 + 3 + (1 + 3 + 1), id="map-element-with-its-name"),
        pytest.param({"ss": {"SS": ["a", "bc"]}, "ns": {"NS": ["10", "7"]}}, 2 + 3 + 2 + 2 + 2, id="sets"),
    ],
)
def test_sizes_follow_aws_rules(attributes: dict[str, Any], size: int) -> None:
    assert item_size(attributes) == size
