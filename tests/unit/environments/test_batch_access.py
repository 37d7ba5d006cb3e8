"""Batch's access to a cluster, what is refused before the Kubernetes API is reached: a namespace that is not
an RFC 1123 label."""

from __future__ import annotations

import pytest

from batch_on_eks.aws.kubernetes import KubernetesApi
from batch_on_eks.environments.batch_access import grant_batch_access
from batch_on_eks.errors import InvalidInput
from tests.aws.kubernetes_support import another_ca_pem, b64
from tests.unit.environments.aws_auth_support import ACCOUNT, INSTANCE_ROLE


@pytest.mark.parametrize(
    "namespace", ["", "Upper", "-leading", "trailing-", "under_score", "a" * 64, "kube-batch", "dots.no"]
)
def test_a_bad_namespace_is_invalid_input_naming_the_field(namespace: str) -> None:
    # When access is granted in a namespace that is not an RFC 1123 label (the API is never reached)
    api = KubernetesApi("https://127.0.0.1:1", b64(another_ca_pem()), token=lambda: "t")
    with pytest.raises(InvalidInput) as raised:
        grant_batch_access(api, namespace, ACCOUNT, "aws", INSTANCE_ROLE)
    # Then the error names the namespace field
    assert raised.value.problems[0]["field"] == "namespace"
