"""API Gateway (REST): the resources SAM makes of an ``AWS::Serverless::Api``, created through moto's API
Gateway from what the template says.

SAM turns the API and its functions' ``Api`` events into an OpenAPI ``Body`` on the ``RestApi`` (one path per
route, each method with an ``aws_proxy`` integration naming its function), a ``Deployment`` and a ``Stage``.
The body is imported into moto as API Gateway would import it (resources, methods, integrations), so the
deployed API can be read back with the API Gateway API (:mod:`local.embedded_aws.api_routes`).
``AWS::ApiGateway::Account`` (the account's CloudWatch role) is set through ``UpdateAccount``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack

_ANY_METHOD = "x-amazon-apigateway-any-method"


def _importable(body: dict[str, Any]) -> dict[str, Any]:
    """The body as moto imports it: API Gateway's ANY extension is the method ``ANY``."""
    document = copy.deepcopy(body)
    for path_item in document.get("paths", {}).values():
        if _ANY_METHOD in path_item:
            path_item["any"] = path_item.pop(_ANY_METHOD)
    document.setdefault("info", {}).setdefault("description", "")
    return document


class ApiGatewayResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::ApiGateway::RestApi": self.rest_api,
            "AWS::ApiGateway::Deployment": self.deployment,
            "AWS::ApiGateway::Stage": self.stage,
            "AWS::ApiGateway::Account": self.account,
        }

    def rest_api(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        apigateway = self.api.client("apigateway")
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
        request = {"restApiId": props["RestApiId"], "description": str(props.get("Description", ""))}
        if props.get("StageName"):
            request["stageName"] = props["StageName"]
        deployment_id = self.api.client("apigateway").create_deployment(**request)["id"]
        return DeployedResource(
            logical_id, "AWS::ApiGateway::Deployment", deployment_id, {"DeploymentId": deployment_id}
        )

    def stage(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request: dict[str, Any] = {
            "restApiId": props["RestApiId"],
            "stageName": props["StageName"],
            "deploymentId": props["DeploymentId"],
            "tracingEnabled": bool(props.get("TracingEnabled", False)),
        }
        if props.get("Variables"):
            request["variables"] = props["Variables"]
        self.api.client("apigateway").create_stage(**request)
        # Kept for inspection (access log format, method settings): moto does not act on them.
        attributes = {"StageName": props["StageName"], "Properties": props}
        return DeployedResource(logical_id, "AWS::ApiGateway::Stage", props["StageName"], attributes)

    def account(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        operations = []
        if props.get("CloudWatchRoleArn"):
            operations.append(
                {"op": "replace", "path": "/cloudwatchRoleArn", "value": props["CloudWatchRoleArn"]}
            )
        self.api.client("apigateway").update_account(patchOperations=operations)
        return DeployedResource(logical_id, "AWS::ApiGateway::Account", logical_id)
