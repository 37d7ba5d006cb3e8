"""Batch's own EKS access entry (local/embedded_aws/moto_gaps/batch_access_entry.py), as the Batch API
reference documents ``EksAccessEntry``
(https://docs.aws.amazon.com/batch/latest/APIReference/API_EksAccessEntry.html): Batch compares
``desiredState`` across every compute environment on the cluster and creates its entry only when all of them
have it ENABLED, deletes it only when all have it DISABLED; INHERIT_FROM_CLUSTER (or nothing) means ENABLED
on an ``API`` cluster and "neither add nor remove" on the others; DISABLED is refused on an ``API`` cluster.
Through a real moto server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.moto_gaps.support import BATCH_SLR, active_cluster, eks_compute_environment, unique_name


@pytest.fixture(scope="module")
def network(client: Callable[..., Any]) -> dict[str, Any]:
    ec2, iam = client("ec2"), client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/26")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="access-entry-nodes", Description="n", VpcId=vpc)["GroupId"]
    iam.create_role(RoleName="access-entry-instance", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="access-entry-instance")["InstanceProfile"][
        "Arn"
    ]
    return {"subnets": [subnet], "groups": [group], "profile": profile}


def _cluster(eks: Any, mode: str) -> tuple[str, str]:
    name = active_cluster(eks, mode=mode)
    return name, str(eks.describe_cluster(name=name)["cluster"]["arn"])


def _ce(batch: Any, network: dict[str, Any], cluster_arn: str, state: str | None) -> str:
    name = unique_name("ce")
    entry = {"accessEntry": {"desiredState": state}} if state else {}
    eks_compute_environment(
        batch, name, cluster_arn, network["subnets"], network["groups"], network["profile"], eks_extra=entry
    )
    return name


def _batch_entry(eks: Any, cluster: str) -> dict[str, Any] | None:
    if BATCH_SLR not in eks.list_access_entries(clusterName=cluster)["accessEntries"]:
        return None
    return dict(eks.describe_access_entry(clusterName=cluster, principalArn=BATCH_SLR)["accessEntry"])


def _access_entry(batch: Any, name: str) -> dict[str, Any]:
    described = batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"][0]
    return dict(described["eksConfiguration"]["accessEntry"])


def test_on_an_api_cluster_batch_makes_its_entry_by_default(
    eks: Any, batch: Any, network: dict[str, Any]
) -> None:
    # Given a cluster in API mode
    cluster, arn = _cluster(eks, "API")
    # When a compute environment is created on it without accessEntry (INHERIT_FROM_CLUSTER)
    name = _ce(batch, network, arn, None)
    # Then Batch's service-linked role has an access entry, as the Kubernetes user aws-batch
    entry = _batch_entry(eks, cluster)
    assert entry is not None
    assert (entry["username"], entry["type"], entry["kubernetesGroups"]) == ("aws-batch", "STANDARD", [])
    # And the compute environment reports it ACTIVE, with no desiredState recorded
    assert _access_entry(batch, name) == {"status": "ACTIVE"}


def test_disabled_is_refused_on_an_api_cluster(eks: Any, batch: Any, network: dict[str, Any]) -> None:
    # Given a cluster in API mode, which has no aws-auth
    _, arn = _cluster(eks, "API")
    # When a compute environment asks Batch to keep no entry there
    # Then Batch refuses it, naming the rule
    with pytest.raises(ClientError, match="DISABLED") as refused:
        _ce(batch, network, arn, "DISABLED")
    assert refused.value.response["Error"]["Code"] == "ClientException"
    assert "API" in str(refused.value)


def test_inherit_neither_adds_nor_removes_outside_api_mode(
    eks: Any, batch: Any, network: dict[str, Any]
) -> None:
    # Given a cluster in API_AND_CONFIG_MAP mode
    cluster, arn = _cluster(eks, "API_AND_CONFIG_MAP")
    # When a compute environment inherits from it
    name = _ce(batch, network, arn, "INHERIT_FROM_CLUSTER")
    # Then Batch makes no entry
    assert _batch_entry(eks, cluster) is None
    assert _access_entry(batch, name) == {"desiredState": "INHERIT_FROM_CLUSTER", "status": "INACTIVE"}


def test_the_entry_is_made_only_when_every_compute_environment_agrees(
    eks: Any, batch: Any, network: dict[str, Any]
) -> None:
    # Given an API_AND_CONFIG_MAP cluster with one compute environment that inherits (no entry there)
    cluster, arn = _cluster(eks, "API_AND_CONFIG_MAP")
    inheriting = _ce(batch, network, arn, None)
    # When a second one asks for the entry
    enabled = _ce(batch, network, arn, "ENABLED")
    # Then there is still none: the two disagree
    assert _batch_entry(eks, cluster) is None
    assert _access_entry(batch, enabled) == {"desiredState": "ENABLED", "status": "INACTIVE"}
    # When the first one is updated to ENABLED too
    batch.update_compute_environment(
        computeEnvironment=inheriting, eksConfiguration={"accessEntry": {"desiredState": "ENABLED"}}
    )
    # Then Batch makes its entry, and both report it
    assert _batch_entry(eks, cluster) is not None
    assert _access_entry(batch, inheriting) == {"desiredState": "ENABLED", "status": "ACTIVE"}
    assert _access_entry(batch, enabled)["status"] == "ACTIVE"
    # When one goes back to DISABLED, the entry stays (not all agree); when both are, Batch deletes it
    batch.update_compute_environment(
        computeEnvironment=inheriting, eksConfiguration={"accessEntry": {"desiredState": "DISABLED"}}
    )
    assert _batch_entry(eks, cluster) is not None
    batch.update_compute_environment(
        computeEnvironment=enabled, eksConfiguration={"accessEntry": {"desiredState": "DISABLED"}}
    )
    assert _batch_entry(eks, cluster) is None


def test_deleting_the_last_compute_environment_leaves_the_entry(
    eks: Any, batch: Any, network: dict[str, Any]
) -> None:
    # Given an API cluster where Batch made its entry for a compute environment
    cluster, arn = _cluster(eks, "API")
    name = _ce(batch, network, arn, "ENABLED")
    assert _batch_entry(eks, cluster) is not None
    # When that compute environment is disabled and deleted
    batch.update_compute_environment(computeEnvironment=name, state="DISABLED")
    batch.delete_compute_environment(computeEnvironment=name)
    # Then the entry is still there: no compute environment says DISABLED (which an API cluster refuses),
    # so whoever made the compute environments removes it (DeleteAccessEntry)
    assert _batch_entry(eks, cluster) is not None
    eks.delete_access_entry(clusterName=cluster, principalArn=BATCH_SLR)
    assert _batch_entry(eks, cluster) is None


def test_enabled_is_refused_on_a_config_map_cluster(eks: Any, batch: Any, network: dict[str, Any]) -> None:
    # Given a cluster in CONFIG_MAP mode, which has no access entries at all
    _, arn = _cluster(eks, "CONFIG_MAP")
    # Then asking Batch for an access entry there is refused
    with pytest.raises(ClientError, match="CONFIG_MAP"):
        _ce(batch, network, arn, "ENABLED")
