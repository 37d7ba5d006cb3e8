"""CloudFormation's custom resource requests, and the response body that answers one."""

from __future__ import annotations

import json

from tests.unit.models.custom_resource_support import request


def test_the_response_answers_its_request_and_stays_under_cloudformations_size_limit() -> None:
    # When a FAILED answer with a very long reason is built
    body = request().response("FAILED", "doeks-environments-teardown", "x" * 10_000, {"Environments": "a"})
    # Then it names the request it answers, and fits CloudFormation's 4096-byte limit
    assert body["StackId"] == "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"
    assert body["RequestId"] == "r-1"
    assert body["LogicalResourceId"] == "EnvironmentsTeardownOnDelete"
    assert body["Status"] == "FAILED"
    assert body["Data"] == {"Environments": "a"}
    assert len(json.dumps(body).encode()) < 4096
    assert body["Reason"].endswith("...")
