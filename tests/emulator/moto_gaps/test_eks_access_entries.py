"""EKS access entries, access policies and the cluster's accessConfig
(local/embedded_aws/moto_gaps/eks_access_entries.py), through a real moto server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_gaps.support import (
    ACCOUNT,
    BATCH_SLR,
    REGION,
    ROLE,
    active_cluster,
    error_code,
    unique_name,
)

ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def test_create_cluster_keeps_access_config(eks: Any) -> None:
    # When a cluster is created without accessConfig, and one with it
    default = unique_name("c")
    eks.create_cluster(name=default, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    explicit = unique_name("c")
    created = eks.create_cluster(
        name=explicit,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        accessConfig={
            "authenticationMode": "API_AND_CONFIG_MAP",
            "bootstrapClusterCreatorAdminPermissions": False,
        },
    )["cluster"]
    # Then the create answers CREATING and the API default is CONFIG_MAP
    assert created["status"] == "CREATING"
    assert eks.describe_cluster(name=default)["cluster"]["accessConfig"] == {
        "authenticationMode": "CONFIG_MAP",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    assert eks.describe_cluster(name=explicit)["cluster"]["accessConfig"] == {
        "authenticationMode": "API_AND_CONFIG_MAP",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    # When the default cluster moves to API_AND_CONFIG_MAP
    update = eks.update_cluster_config(
        name=default, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"}
    )
    # Then it is kept, and the change cannot be reversed
    assert update["update"]["type"] == "AccessConfigUpdate"
    assert (
        eks.describe_cluster(name=default)["cluster"]["accessConfig"]["authenticationMode"]
        == "API_AND_CONFIG_MAP"
    )
    with pytest.raises(ClientError) as err:
        eks.update_cluster_config(name=default, accessConfig={"authenticationMode": "CONFIG_MAP"})
    assert error_code(err) == "InvalidParameterException"


def test_access_entry_and_policy_round_trip(eks: Any) -> None:
    # Given a cluster in API_AND_CONFIG_MAP mode
    cluster = active_cluster(eks)
    principal = f"arn:aws:iam::{ACCOUNT}:role/service/control-plane-k8s"
    # When an access entry is created and the cluster-admin policy associated
    entry = eks.create_access_entry(clusterName=cluster, principalArn=principal, tags={"a": "b"})[
        "accessEntry"
    ]
    associated = eks.associate_access_policy(
        clusterName=cluster, principalArn=principal, policyArn=ADMIN_POLICY, accessScope={"type": "cluster"}
    )
    # Then both are described back with real shapes
    assert entry["type"] == "STANDARD"
    assert entry["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/control-plane-k8s/{{{{SessionName}}}}"
    assert entry["accessEntryArn"].startswith(f"arn:aws:eks:{REGION}:{ACCOUNT}:access-entry/{cluster}/role/")
    assert associated["associatedAccessPolicy"]["policyArn"] == ADMIN_POLICY
    described = eks.describe_access_entry(clusterName=cluster, principalArn=principal)["accessEntry"]
    assert described["principalArn"] == principal
    assert described["tags"] == {"a": "b"}
    assert eks.list_access_entries(clusterName=cluster)["accessEntries"] == [principal]
    assert eks.list_access_entries(clusterName=cluster, associatedPolicyArn=ADMIN_POLICY)[
        "accessEntries"
    ] == [principal]
    policies = eks.list_associated_access_policies(clusterName=cluster, principalArn=principal)
    assert [p["accessScope"] for p in policies["associatedAccessPolicies"]] == [
        {"type": "cluster", "namespaces": []}
    ]
    # And a duplicate entry is in use
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName=cluster, principalArn=principal)
    assert error_code(err) == "ResourceInUseException"

    # When the policy is disassociated and the entry deleted
    eks.disassociate_access_policy(clusterName=cluster, principalArn=principal, policyArn=ADMIN_POLICY)
    assert (
        eks.list_associated_access_policies(clusterName=cluster, principalArn=principal)[
            "associatedAccessPolicies"
        ]
        == []
    )
    eks.delete_access_entry(clusterName=cluster, principalArn=principal)
    # Then the entry is gone
    with pytest.raises(ClientError) as err:
        eks.describe_access_entry(clusterName=cluster, principalArn=principal)
    assert error_code(err) == "ResourceNotFoundException"
    assert eks.list_access_entries(clusterName=cluster)["accessEntries"] == []


def test_access_entry_rejects_service_linked_role(eks: Any) -> None:
    # Given a cluster in API_AND_CONFIG_MAP mode
    cluster = active_cluster(eks)
    # When an access entry is asked for the Batch service-linked role
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName=cluster, principalArn=BATCH_SLR)
    # Then EKS refuses it, as the real service does
    assert error_code(err) == "InvalidParameterException"
    assert "service-linked" in err.value.response["Error"]["Message"]


def test_access_entries_need_api_authentication_mode(eks: Any) -> None:
    # Given a cluster left in the API default, CONFIG_MAP
    cluster = active_cluster(eks, mode="CONFIG_MAP")
    # When an access entry is created
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName=cluster, principalArn=f"arn:aws:iam::{ACCOUNT}:role/x")
    # Then the request is refused
    assert error_code(err) == "InvalidRequestException"
