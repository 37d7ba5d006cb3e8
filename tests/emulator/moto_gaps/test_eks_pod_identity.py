"""EKS Pod Identity associations (local/embedded_aws/moto_gaps/eks_pod_identity.py), through a real moto
server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_gaps.support import ACCOUNT, active_cluster, error_code


def test_pod_identity_association_round_trip(eks: Any) -> None:
    # Given a cluster
    cluster = active_cluster(eks)
    # When an association is created
    association = eks.create_pod_identity_association(
        clusterName=cluster,
        namespace="kube-system",
        serviceAccount="ebs-csi-controller-sa",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/ebs",
    )["association"]
    # Then it is listed with its id and ARN
    assert association["associationId"].startswith("a-")
    listed = eks.list_pod_identity_associations(clusterName=cluster, namespace="kube-system")["associations"]
    assert [a["associationArn"] for a in listed] == [association["associationArn"]]
    assert eks.list_pod_identity_associations(clusterName=cluster, namespace="other")["associations"] == []
    # And a second association for the same service account is in use
    with pytest.raises(ClientError) as err:
        eks.create_pod_identity_association(
            clusterName=cluster,
            namespace="kube-system",
            serviceAccount="ebs-csi-controller-sa",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/ebs",
        )
    assert error_code(err) == "ResourceInUseException"
    # When it is deleted
    deleted = eks.delete_pod_identity_association(
        clusterName=cluster, associationId=association["associationId"]
    )
    # Then it is gone
    assert deleted["association"]["associationId"] == association["associationId"]
    assert eks.list_pod_identity_associations(clusterName=cluster)["associations"] == []
