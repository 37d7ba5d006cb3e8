"""Shared by the custom resource tests: send a custom resource request to the stack's function as
CloudFormation does (asynchronously, with a ResponseURL served locally), and read the answer it PUT."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from local.embedded_aws.deploy.cfn_responses import response_server
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws

ANSWER_BOUND_SECONDS = 60.0


@dataclass(frozen=True)
class Answered:
    request: dict[str, Any]
    body: dict[str, Any]  # the JSON the function PUT to the ResponseURL
    content_type: str | None


def send_request(
    aws: EmbeddedAws,
    stack: Stack,
    request_type: str,
    resource_type: str,
    properties: dict[str, str],
    physical_id: str | None = None,
    request_id: str | None = None,
    logical_id: str = "TestResource",
) -> Answered:
    """Invoke AnswerCustomResourceFunction with a CloudFormation request and wait for its answer."""
    function_arn = aws.runtime.function("AnswerCustomResourceFunction").arn
    pending = response_server().expect()
    request: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": function_arn,
        "ResponseURL": pending.url,
        "StackId": stack.stack_id,
        "RequestId": request_id or str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {"ServiceToken": function_arn, **properties},
    }
    if physical_id is not None:
        request["PhysicalResourceId"] = physical_id
    aws.client("lambda").invoke(
        FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(request)
    )
    body = pending.wait(ANSWER_BOUND_SECONDS)
    return Answered(request, body, pending.content_type)


def teardown_properties(stack: Stack, teardown_on_delete: str = "true") -> dict[str, str]:
    """EnvironmentsTeardownOnDelete's properties as the deployed stack gives them."""
    properties = dict(stack.resources["EnvironmentsTeardownOnDelete"].attributes["__properties__"])
    properties.pop("ServiceToken")
    return {**{k: str(v) for k, v in properties.items()}, "TeardownEnvironmentsOnDelete": teardown_on_delete}
