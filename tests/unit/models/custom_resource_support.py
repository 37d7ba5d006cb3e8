"""Shared by the custom resource tests: a request as CloudFormation sends it to the stack's function."""

from __future__ import annotations

from batch_on_eks.models.custom_resource import CustomResourceRequest
from batch_on_eks.stack.custom_resources import ENVIRONMENTS_TEARDOWN


def request(request_type: str = "Delete", **properties: str) -> CustomResourceRequest:
    """A request for the environments-teardown resource, with a field CloudFormation may add one day."""
    return CustomResourceRequest.model_validate(
        {
            "RequestType": request_type,
            "ResponseURL": "https://example.invalid/response",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
            "RequestId": "r-1",
            "ResourceType": ENVIRONMENTS_TEARDOWN,
            "LogicalResourceId": "EnvironmentsTeardownOnDelete",
            "PhysicalResourceId": "doeks-environments-teardown",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:1:function:f", **properties},
            "SomethingNew": "ignored",
        }
    )
