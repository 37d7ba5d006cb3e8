"""What template.yaml promises about the REST API: IAM auth on every method (as SAM turns it into the API
definition API Gateway imports), the routes the handler serves and only those, access logs and tracing on
the stage, errors from API Gateway itself in the API's format, and a least-privilege policy."""

from __future__ import annotations

import re
from typing import Any

import pytest

from batch_on_eks.api import paths
from local.embedded_aws.deploy.template import load_template, translate
from tests.conftest import REPO_ROOT

ANY = "x-amazon-apigateway-any-method"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", ANY}


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template(REPO_ROOT / "template.yaml")


@pytest.fixture(scope="module")
def cloudformation() -> dict[str, Any]:
    """The template after the SAM transform, as CloudFormation receives it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # SAM's translator asks boto3 for a region
        return translate(REPO_ROOT / "template.yaml").template


def api_definition(cloudformation: dict[str, Any]) -> dict[str, Any]:
    apis = [r for r in cloudformation["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert len(apis) == 1
    body: dict[str, Any] = apis[0]["Properties"]["Body"]
    return body


def test_every_method_of_the_api_requires_iam_auth(cloudformation: dict[str, Any]) -> None:
    # Given the API definition SAM generated from the template (what API Gateway imports)
    definition = api_definition(cloudformation)
    # When each method of each resource is read
    methods = [
        (path, method, operation)
        for path, item in definition["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    # Then there are methods, and every one of them, the catch-all ANY ones included, requires AWS_IAM (SigV4)
    assert len(methods) >= len([m for ms in paths.METHODS.values() for m in ms])
    for path, method, operation in methods:
        assert operation.get("security") == [{"AWS_IAM": []}], f"{method} {path} is not IAM-authenticated"
    scheme = definition["components"]["securitySchemes"]["AWS_IAM"]
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"


def test_iam_is_the_default_authorizer_and_no_route_opts_out(sam: dict[str, Any]) -> None:
    # Given the SAM API and the function's Api events
    api = sam["Resources"]["Api"]["Properties"]
    events = sam["Resources"]["AnswerApiRequestFunction"]["Properties"]["Events"]
    # When their auth settings are read
    # Then AWS_IAM is the default, API Gateway invokes the function through its resource policy (not as the
    # caller, who would need lambda:InvokeFunction), and no event overrides the authorizer
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    assert api["Auth"]["InvokeRole"] == "NONE"
    for name, event in events.items():
        assert event["Type"] == "Api"
        assert event["Properties"]["RestApiId"] == {"Ref": "Api"}
        assert "Auth" not in event["Properties"], f"{name} overrides the API's auth"


def _template_route(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def test_the_api_events_are_the_handlers_routes_plus_catch_alls(sam: dict[str, Any]) -> None:
    # Given the function's Api events
    events = [
        e["Properties"] for e in sam["Resources"]["AnswerApiRequestFunction"]["Properties"]["Events"].values()
    ]
    declared = {(_template_route(e["Path"]), e["Method"].upper()) for e in events}
    # When they are compared with the routes the handler serves
    served = {(route, method) for route, methods in paths.METHODS.items() for method in methods}
    # Then each served route is declared, each route's resource also takes ANY (a wrong method reaches the
    # handler for its 405), and /{proxy+} and / take unknown routes (a JSON 404); nothing else is declared
    catch_alls = {(route, "ANY") for route in paths.METHODS} | {("/{proxy+}", "ANY"), ("/", "ANY")}
    assert declared == served | catch_alls


def test_the_stage_logs_access_traces_and_throttles(sam: dict[str, Any]) -> None:
    # Given the API
    api = sam["Resources"]["Api"]["Properties"]
    # When its stage settings are read
    settings = api["MethodSettings"][0]
    # Then access logs go (as JSON) to a log group with a retention, X-Ray traces, errors are logged,
    # bodies are not, and the stage is throttled
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert api["AccessLogSetting"]["Format"].startswith('{"requestId":"$context.requestId"')
    assert sam["Resources"]["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] > 0
    assert api["TracingEnabled"] is True
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert settings["ThrottlingRateLimit"] > 0
    # And the account's CloudWatch role that logging needs is set, its role kept when the stack goes
    assert sam["Resources"]["Api"]["DependsOn"] == "ApiGatewayAccount"
    assert sam["Resources"]["ApiGatewayCloudWatchRole"]["DeletionPolicy"] == "Retain"


def test_api_gateways_own_errors_use_the_apis_error_format(sam: dict[str, Any]) -> None:
    # Given the API's gateway responses
    responses = sam["Resources"]["Api"]["Properties"]["GatewayResponses"]
    # When their JSON templates are read
    # Then API Gateway's own 4xx and 5xx (unsigned, denied, throttled...) answer {"code", "message", "field"}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        template = responses[kind]["ResponseTemplates"]["application/json"]
        assert template.startswith('{"code":"$context.error.responseType"')
        assert '"message":$context.error.messageString' in template
        assert template.endswith('"field":null}')


def test_the_api_function_policy_is_least_privilege(sam: dict[str, Any]) -> None:
    # Given the API function's policy
    statements = sam["Resources"]["AnswerApiRequestFunction"]["Properties"]["Policies"][0]["Statement"]
    # When each statement is read
    by_sid = {s["Sid"]: s for s in statements}
    # Then every statement is named and scoped to resources (no "*")
    assert len(by_sid) == len(statements)
    for statement in statements:
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert "*" not in resources, statement["Sid"]
    # And it starts exactly the three workflows, and stops only runs
    started = [r["Fn::Sub"].rsplit(":", 1)[-1] for r in by_sid["StartWorkflows"]["Resource"]]
    assert started == [
        "${ResourcePrefix}-run-job",
        "${ResourcePrefix}-provision-environment",
        "${ResourcePrefix}-teardown-environment",
    ]
    assert by_sid["CancelRunsNotYetSubmitted"]["Action"] == ["states:StopExecution"]
    assert by_sid["CancelRunsNotYetSubmitted"]["Resource"]["Fn::Sub"].endswith(":${ResourcePrefix}-run-job:*")
    assert by_sid["ReadContainerLogs"]["Resource"]["Fn::Sub"].endswith(
        ":log-group:/aws/containerinsights/${ResourcePrefix}-*"
    )


def test_the_outputs_give_the_api_url_and_its_hello_world_commands(sam: dict[str, Any]) -> None:
    # Given the stack's outputs
    outputs = sam["Outputs"]
    # When the API's are read
    # Then the URL is the stage's, and each hello-world command posts its queue's run to /jobs, signed
    assert (
        outputs["ApiUrl"]["Value"]["Fn::Sub"] == "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/v1"
    )
    for name, queue in (("HelloWorldOnDemandApiCommand", "JQ1_OD"), ("HelloWorldSpotApiCommand", "JQ1_SPOT")):
        command = outputs[name]["Value"]["Fn::Sub"]
        assert "--aws-sigv4" in command
        assert f"-aws-batch-{queue}" in command
        assert command.endswith("/v1/jobs")
