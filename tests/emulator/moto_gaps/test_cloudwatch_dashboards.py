"""PutDashboard as strict as AWS (moto_gaps/cloudwatch_dashboards.py), through a real moto server: a name or
a body CloudWatch refuses is refused here, with AWS's error and the data path; a valid one is stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_gaps.support import error_code, unique_name

METRIC = ["AWS/Lambda", "Errors", "FunctionName", "f"]
EXPRESSION = {"expression": "SEARCH('Namespace=\"N\" MetricName=\"M\"', 'Sum', 300)", "id": "e1"}


@pytest.fixture(scope="module")
def cloudwatch(client: Callable[..., Any]) -> Any:
    return client("cloudwatch")


def metric_widget(metrics: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {"region": "us-east-1", "metrics": metrics},
        **extra,
    }


def test_a_valid_dashboard_is_stored(cloudwatch: Any) -> None:
    # Given a body with a metric, a metric with rendering options and a SEARCH expression
    name = unique_name("dashboard")
    body = json.dumps({"widgets": [metric_widget([METRIC, [*METRIC, {"stat": "p95"}], [EXPRESSION]])]})
    # When it is put
    answer = cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
    # Then it is stored as given, with no validation message
    assert answer["DashboardValidationMessages"] == []
    assert json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"widget": []}, "/widgets"),
        ({"widgets": [{"type": "graph", "properties": {}}]}, "/widgets/0/type"),
        ({"widgets": [metric_widget([METRIC], width=25)]}, "/widgets/0/width"),
        (
            {"widgets": [{"type": "metric", "properties": {"metrics": [METRIC]}}]},
            "/widgets/0/properties/region",
        ),
        (
            {"widgets": [{"type": "metric", "properties": {"region": "us-east-1"}}]},
            "/widgets/0/properties/metrics",
        ),
        ({"widgets": [metric_widget([["AWS/Lambda"]])]}, "/widgets/0/properties/metrics/0"),
        (
            {"widgets": [metric_widget([["AWS/Lambda", "Errors", "FunctionName"]])]},
            "/widgets/0/properties/metrics/0",
        ),
        ({"widgets": [metric_widget([[EXPRESSION, "AWS/Lambda"]])]}, "/widgets/0/properties/metrics/0"),
    ],
    ids=[
        "no widgets",
        "unknown type",
        "wider than the grid",
        "no region",
        "no metrics",
        "no metric name",
        "dimension without value",
        "expression with more",
    ],
)
def test_a_body_aws_refuses_is_refused_naming_its_path(
    cloudwatch: Any, body: dict[str, Any], path: str
) -> None:
    # Given a body AWS's PutDashboard refuses
    name = unique_name("refused")
    # When it is put
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body))
    # Then it is refused as AWS refuses it, naming the data path, and nothing is stored
    assert error_code(refused) == "InvalidParameterInput"
    assert path in refused.value.response["Error"]["Message"]
    assert name not in [d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]]


def test_a_name_aws_refuses_is_refused(cloudwatch: Any) -> None:
    # Given a valid body and a name with a character AWS does not allow
    body = json.dumps({"widgets": [metric_widget([METRIC])]})
    # When it is put, Then it is refused with AWS's error, naming the name's rule
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_dashboard(DashboardName="has a space", DashboardBody=body)
    assert error_code(refused) == "InvalidParameterInput"
    assert "DashboardName" in refused.value.response["Error"]["Message"]
