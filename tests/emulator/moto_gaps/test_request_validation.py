"""EKS and Batch requests checked against botocore's model
(local/embedded_aws/moto_gaps/request_validation.py), through a real moto server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.emulator.moto_gaps.support import error_code


def test_eks_request_invalid_per_model_is_rejected(client: Callable[..., Any]) -> None:
    # Given a client that does not validate on its side
    raw = client("eks", validate=False)
    # When CreateAddon is sent without addonName, and with a wrong type
    with pytest.raises(ClientError) as missing:
        raw.create_addon(clusterName="any")
    with pytest.raises(ClientError) as wrong_type:
        raw.create_addon(clusterName="any", addonName="coredns", configurationValues=5)
    # Then the server answers 400 naming the field
    for err, fieldname in ((missing, "addonName"), (wrong_type, "configurationValues")):
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error_code(err) == "InvalidParameterException"
        assert fieldname in err.value.response["Error"]["Message"]


def test_batch_request_invalid_per_model_is_rejected(endpoint: str) -> None:
    # When CreateJobQueue is posted raw with a string priority and no jobQueueName
    response = requests.post(
        f"{endpoint}/v1/createjobqueue",
        json={"priority": "high", "computeEnvironmentOrder": []},
        headers={
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/batch/aws4_request, "
                "SignedHeaders=host, Signature=x"
            )
        },
        timeout=10,
    )
    # Then it gets a 400 naming both problems
    assert response.status_code == 400
    body = response.json()
    assert body["__type"] == "ClientException"
    assert "priority" in body["message"]
    assert "jobQueueName" in body["message"]


def test_eks_request_with_unknown_field_is_rejected(endpoint: str) -> None:
    # When CreateAddon is posted raw with a field the model does not know
    response = requests.post(
        f"{endpoint}/clusters/any/addons",
        json={"addonName": "coredns", "addonVerison": "v1"},
        headers={
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/eks/aws4_request, "
                "SignedHeaders=host, Signature=x"
            )
        },
        timeout=10,
    )
    # Then it gets a 400 naming the field
    assert response.status_code == 400
    assert "addonVerison" in response.json()["message"]
