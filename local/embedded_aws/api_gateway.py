"""API Gateway (REST) in the embedded AWS: the resources SAM makes of an ``AWS::Serverless::Api``, created
through moto's API Gateway from what the template says, and the routes they deploy.

SAM turns the API and its functions' ``Api`` events into an OpenAPI ``Body`` on the ``RestApi`` (one path per
route, each method with an ``aws_proxy`` integration naming its function), a ``Deployment`` and a ``Stage``.
The body is imported into moto as API Gateway would import it (resources, methods, integrations), so the
deployed API can be read back with the API Gateway API; :func:`deployed_routes` does that for
:mod:`local.embedded_aws.api_bridge`, which serves the API on 127.0.0.1. ``AWS::ApiGateway::Account``
(the account's CloudWatch role) is set through ``UpdateAccount``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from local.embedded_aws.deploy import DeployedResource, Stack

ANY_METHOD = "x-amazon-apigateway-any-method"
_FUNCTION_IN_URI = re.compile(r"/functions/(?P<function>arn:[^/]+)/invocations$")

Creator = Callable[["Stack", str, dict[str, Any]], "DeployedResource"]


def creators(region: str) -> dict[str, Creator]:
    """The deployer's creators for API Gateway's resource types."""
    resources = _ApiGatewayResources(region)
    return {
        "AWS::ApiGateway::RestApi": resources.rest_api,
        "AWS::ApiGateway::Deployment": resources.deployment,
        "AWS::ApiGateway::Stage": resources.stage,
        "AWS::ApiGateway::Account": resources.account,
    }


def _importable(body: dict[str, Any]) -> dict[str, Any]:
    """The body as moto imports it: API Gateway's ANY extension is the method ``ANY``."""
    document = copy.deepcopy(body)
    for path_item in document.get("paths", {}).values():
        if ANY_METHOD in path_item:
            path_item["any"] = path_item.pop(ANY_METHOD)
    document.setdefault("info", {}).setdefault("description", "")
    return document


class _ApiGatewayResources:
    def __init__(self, region: str):
        self.region = region

    def _client(self) -> Any:
        return boto3.client("apigateway", region_name=self.region)

    def rest_api(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        from local.embedded_aws.deploy import DeployedResource

        apigateway = self._client()
        body = props.get("Body")
        if body is None:
            raise ValueError(
                f"{logical_id}: only a RestApi with an inline Body (as SAM writes it) is emulated"
            )
        document = _importable(body)
        if props.get("Name"):
            document["info"]["title"] = props["Name"]
        api = apigateway.import_rest_api(body=json.dumps(document).encode(), failOnWarnings=False)
        root = next(
            r["id"] for r in apigateway.get_resources(restApiId=api["id"])["items"] if r["path"] == "/"
        )
        attributes = {"RootResourceId": root, "RestApiId": api["id"], "Body": body}
        return DeployedResource(logical_id, "AWS::ApiGateway::RestApi", api["id"], attributes)

    def deployment(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        from local.embedded_aws.deploy import DeployedResource

        request = {"restApiId": props["RestApiId"], "description": str(props.get("Description", ""))}
        if props.get("StageName"):
            request["stageName"] = props["StageName"]
        deployment_id = self._client().create_deployment(**request)["id"]
        return DeployedResource(
            logical_id, "AWS::ApiGateway::Deployment", deployment_id, {"DeploymentId": deployment_id}
        )

    def stage(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        from local.embedded_aws.deploy import DeployedResource

        request: dict[str, Any] = {
            "restApiId": props["RestApiId"],
            "stageName": props["StageName"],
            "deploymentId": props["DeploymentId"],
            "tracingEnabled": bool(props.get("TracingEnabled", False)),
        }
        if props.get("Variables"):
            request["variables"] = props["Variables"]
        self._client().create_stage(**request)
        # Kept for inspection (access log format, method settings): moto does not act on them.
        attributes = {"StageName": props["StageName"], "Properties": props}
        return DeployedResource(logical_id, "AWS::ApiGateway::Stage", props["StageName"], attributes)

    def account(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        from local.embedded_aws.deploy import DeployedResource

        operations = []
        if props.get("CloudWatchRoleArn"):
            operations.append(
                {"op": "replace", "path": "/cloudwatchRoleArn", "value": props["CloudWatchRoleArn"]}
            )
        self._client().update_account(patchOperations=operations)
        return DeployedResource(logical_id, "AWS::ApiGateway::Account", logical_id)


# -- reading the deployed API back ----------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One method of one resource of the deployed API, and the function its proxy integration invokes."""

    resource_path: str  # as API Gateway writes it: /jobs/{id}, /{proxy+}
    method: str  # GET, POST... or ANY
    function_arn: str

    @property
    def segments(self) -> list[str]:
        return [part for part in self.resource_path.split("/") if part]


def deployed_routes(rest_api_id: str, region: str) -> list[Route]:
    """Every method of the API that has a Lambda proxy integration (read through API Gateway's API)."""
    apigateway = boto3.client("apigateway", region_name=region)
    routes = []
    for resource in apigateway.get_resources(restApiId=rest_api_id, limit=500)["items"]:
        for method in resource.get("resourceMethods") or {}:
            integration = apigateway.get_integration(
                restApiId=rest_api_id, resourceId=resource["id"], httpMethod=method
            )
            match = _FUNCTION_IN_URI.search(str(integration.get("uri", "")))
            if str(integration.get("type", "")).upper() == "AWS_PROXY" and match:
                routes.append(Route(resource["path"], method.upper(), match.group("function")))
    return routes
