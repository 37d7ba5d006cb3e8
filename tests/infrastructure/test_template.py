"""What template.yaml promises about the tables, the parameters, the function defaults and the layer.

The scanners (sam validate --lint, cfn-lint with the serverless rules, checkov) check that the template is
valid and follows good practice; these tests pin the design's own choices so a later edit cannot drop them.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.template import load_template, parse_yaml
from tests.conftest import REPO_ROOT

TABLES = ["RunsTable", "EnvironmentsTable"]


def _key_schema(key_schema: list[dict[str, str]]) -> dict[str, str]:
    """``[{"AttributeName": a, "KeyType": HASH}, ...]`` as ``{"HASH": a, "RANGE": b}``."""
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def _indexes(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {index["IndexName"]: index for index in table["Properties"].get("GlobalSecondaryIndexes", [])}


def test_loader_understands_cloudformation_short_tags() -> None:
    # Given the template, which uses !Ref in its Globals
    # When it is loaded with the CloudFormation-aware loader
    template = load_template(REPO_ROOT / "template.yaml")

    # Then the short tags come back in their long form
    function_globals = template["Globals"]["Function"]
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    assert function_globals["Environment"]["Variables"]["RUNS_TABLE"] == {"Ref": "RunsTable"}


def test_loader_turns_every_short_tag_into_its_long_form() -> None:
    # Given a snippet that uses the short tags in scalar, sequence and mapping form
    text = """
    a: !Ref Bucket
    b: !GetAtt Queue.Arn
    c: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"
    d: !Join ["", [!Ref AWS::Region, "-x"]]
    e: !If [IsProd, !GetAZs "", !Ref AWS::NoValue]
    f: !Condition IsProd
    g: !Sub ["${A}", {A: !ImportValue Shared}]
    """

    # When it is loaded
    document = parse_yaml(text)

    # Then each tag is the intrinsic function CloudFormation would see in JSON
    assert document == {
        "a": {"Ref": "Bucket"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
        "d": {"Fn::Join": ["", [{"Ref": "AWS::Region"}, "-x"]]},
        "e": {"Fn::If": ["IsProd", {"Fn::GetAZs": ""}, {"Ref": "AWS::NoValue"}]},
        "f": {"Condition": "IsProd"},
        "g": {"Fn::Sub": ["${A}", {"A": {"Fn::ImportValue": "Shared"}}]},
    }


@pytest.mark.parametrize("name", TABLES)
def test_table_is_on_demand_recoverable_encrypted_and_retained(resources: dict[str, Any], name: str) -> None:
    # Given a DynamoDB table of the control plane
    table = resources[name]
    properties = table["Properties"]

    # When its billing, backup, encryption and deletion settings are read
    # Then it bills per request, keeps point-in-time recovery, encrypts at rest and survives the stack
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_runs_table_keys_and_indexes(resources: dict[str, Any]) -> None:
    # Given the runs table
    properties = resources["RunsTable"]["Properties"]
    attribute_types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}

    # When its key schema and global secondary indexes are read
    indexes = _indexes(resources["RunsTable"])

    # Then a run is keyed by runId, found by jobId (ByJobId), and listed per environment by status and age
    assert _key_schema(properties["KeySchema"]) == {"HASH": "runId"}
    assert set(indexes) == {"ByJobId", "ByEnvironment"}
    assert _key_schema(indexes["ByJobId"]["KeySchema"]) == {"HASH": "jobId"}
    assert _key_schema(indexes["ByEnvironment"]["KeySchema"]) == {
        "HASH": "environment",
        "RANGE": "statusCreatedAt",
    }
    # And every key attribute is declared as a string
    assert attribute_types == {"runId": "S", "jobId": "S", "environment": "S", "statusCreatedAt": "S"}


def test_runs_table_expires_finished_runs_through_ttl(resources: dict[str, Any]) -> None:
    # Given the runs table
    properties = resources["RunsTable"]["Properties"]

    # When its time-to-live setting is read
    ttl = properties["TimeToLiveSpecification"]

    # Then DynamoDB removes items by their expiresAt attribute
    assert ttl == {"AttributeName": "expiresAt", "Enabled": True}


def test_environments_table_is_keyed_by_name_and_never_expires(resources: dict[str, Any]) -> None:
    # Given the environments table
    properties = resources["EnvironmentsTable"]["Properties"]

    # When its key schema and time-to-live setting are read
    key_schema = _key_schema(properties["KeySchema"])

    # Then an environment is keyed by its name, and its record has no TTL (its history must outlive it)
    assert key_schema == {"HASH": "name"}
    assert "TimeToLiveSpecification" not in properties
    assert "GlobalSecondaryIndexes" not in properties


def test_resource_prefix_defaults_to_doeks(template: dict[str, Any]) -> None:
    # Given the template's parameters
    parameters = template["Parameters"]

    # When the ResourcePrefix parameter is read
    resource_prefix = parameters["ResourcePrefix"]

    # Then it defaults to "doeks", the prefix of every name the control plane creates at run time
    assert resource_prefix["Type"] == "String"
    assert resource_prefix["Default"] == "doeks"


def test_function_globals_set_runtime_tracing_and_service_name(template: dict[str, Any]) -> None:
    # Given the template's Globals
    # When the settings every function inherits are read
    function_globals = template["Globals"]["Function"]
    variables = function_globals["Environment"]["Variables"]

    # Then every function runs on python3.12 with active tracing and a Powertools service name
    assert function_globals["Runtime"] == "python3.12"
    assert function_globals["Tracing"] == "Active"
    assert isinstance(variables.get("POWERTOOLS_SERVICE_NAME"), str)
    assert variables["POWERTOOLS_SERVICE_NAME"]


def test_common_layer_is_built_for_python312(resources: dict[str, Any]) -> None:
    # Given the common layer
    layer = resources["CommonLayer"]

    # When its build metadata is read
    metadata = layer["Metadata"]

    # Then sam build runs the layer's own Makefile: python3.12's pip, then bytecode compiled ahead of time
    # (Lambda cannot write __pycache__ under /opt), for the runtime the layer is compatible with
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert metadata["BuildMethod"] == "makefile"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    recipe = (REPO_ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text(encoding="utf-8")
    assert "build-CommonLayer:" in recipe
    assert "python3.12" in recipe
    assert "compileall" in recipe
    assert "unchecked-hash" in recipe
