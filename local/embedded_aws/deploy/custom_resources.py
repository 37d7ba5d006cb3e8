"""Custom resources (``AWS::CloudFormation::CustomResource``, ``Custom::*``), created and deleted as
CloudFormation does: their ``ServiceToken`` function is invoked asynchronously with a real request (every
property a string, as CloudFormation sends them), and the answer is awaited at the request's
``ResponseURL``, served locally by :mod:`.cfn_responses`. A FAILED Create fails the deployment; the answer's
``PhysicalResourceId`` is the resource's ``Ref`` and its ``Data`` its attributes. Deleting sends the Delete
requests, last created first, as ``sam delete`` does, and stops at the first FAILED answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from local.embedded_aws.deploy.cfn_responses import response_server
from local.embedded_aws.deploy.stack import CustomResourceAnswer, DeployedResource, Stack
from local.embedded_aws.lambda_runtime import LambdaRuntime

_CUSTOM = "AWS::CloudFormation::CustomResource"
# How long a custom resource's function may take to answer a Create (they answer at once, or fail).
CREATE_BOUND_SECONDS = 60.0


class CustomResourceFailed(RuntimeError):
    """A custom resource answered FAILED (or not at all): CloudFormation would roll the stack back."""

    def __init__(self, logical_id: str, request_type: str, reason: str, answer: dict[str, Any] | None):
        super().__init__(f"{logical_id}: {request_type} failed: {reason}")
        self.logical_id = logical_id
        self.answer = answer


def is_custom(resource_type: str) -> bool:
    return resource_type == _CUSTOM or resource_type.startswith("Custom::")


def _as_cloudformation_sends(value: Any) -> Any:
    """A custom resource's properties as CloudFormation sends them: every scalar a string."""
    if isinstance(value, dict):
        return {key: _as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_cloudformation_sends(item) for item in value]
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


class CustomResources:
    def __init__(self, runtime: LambdaRuntime):
        self.runtime = runtime

    def create(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        resource_type = str(stack.translated.resources[logical_id]["Type"])
        request = {
            "RequestType": "Create",
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": _as_cloudformation_sends(props),
        }
        body = self._send(stack, props, request, CREATE_BOUND_SECONDS)
        if body.get("Status") != "SUCCESS":
            raise CustomResourceFailed(logical_id, "Create", str(body.get("Reason")), body)
        physical_id = str(body.get("PhysicalResourceId") or logical_id)
        attributes = {str(k): v for k, v in (body.get("Data") or {}).items()}
        attributes["__properties__"] = props  # what Delete will be sent (not an attribute CloudFormation has)
        return DeployedResource(logical_id, resource_type, physical_id, attributes)

    def delete(self, stack: Stack, bound_seconds: float) -> list[CustomResourceAnswer]:
        answers: list[CustomResourceAnswer] = []
        stack.status = "DELETE_IN_PROGRESS"
        custom = [r for r in stack.resources.values() if is_custom(r.type)]
        for resource in reversed(custom):
            props = resource.attributes["__properties__"]
            request = {
                "RequestType": "Delete",
                "LogicalResourceId": resource.logical_id,
                "ResourceType": resource.type,
                "PhysicalResourceId": resource.ref,
                "ResourceProperties": _as_cloudformation_sends(props),
            }
            body = self._send(stack, props, request, bound_seconds)
            answers.append(CustomResourceAnswer(resource.logical_id, "Delete", body))
            if body.get("Status") != "SUCCESS":
                stack.status = "DELETE_FAILED"
                return answers
            del stack.resources[resource.logical_id]
        stack.status = "DELETE_COMPLETE"
        return answers

    def _send(
        self, stack: Stack, props: dict[str, Any], request: dict[str, Any], bound_seconds: float
    ) -> dict[str, Any]:
        """Invoke the ServiceToken function as CloudFormation does (asynchronously) and wait for the answer
        at the request's ResponseURL."""
        token = str(props.get("ServiceToken", ""))
        function = self.runtime.find(token)
        if function is None:
            raise ValueError(f"{request['LogicalResourceId']}: ServiceToken {token!r} is not a function here")
        pending = response_server().expect()
        message = {
            **request,
            "ServiceToken": token,
            "ResponseURL": pending.url,
            "StackId": stack.stack_id,
            "RequestId": str(uuid.uuid4()),
        }
        self.runtime.invoke_async(function, json.dumps(message).encode())
        return pending.wait(bound_seconds)
