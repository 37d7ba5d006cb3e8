"""EKS's Kubernetes versions (local/embedded_aws/moto_gaps/eks_versions.py) and Batch's node versions
(moto_gaps/batch.py), through a real moto server, on the tests' day (2026-12-06) unless a test moves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.moto_gaps.batch import UNSUPPORTED_VERSION
from local.embedded_aws.moto_gaps.eks_versions import CALENDAR
from tests.emulator.moto_gaps.support import ROLE, eks_compute_environment, error_code, unique_name


def _statuses(answer: dict[str, Any]) -> dict[str, str]:
    return {v["clusterVersion"]: v["versionStatus"] for v in answer["clusterVersions"]}


def test_describe_cluster_versions_lists_what_eks_offers_today(eks: Any) -> None:
    # When EKS is asked which versions it offers on 2026-12-06
    offered = eks.describe_cluster_versions()
    # Then the versions in standard or extended support, each with its status; 1.31 ended on 2026-11-26
    assert _statuses(offered) == {
        "1.36": "STANDARD_SUPPORT",
        "1.35": "STANDARD_SUPPORT",
        "1.34": "EXTENDED_SUPPORT",
        "1.33": "EXTENDED_SUPPORT",
        "1.32": "EXTENDED_SUPPORT",
    }
    one = next(v for v in offered["clusterVersions"] if v["clusterVersion"] == "1.34")
    assert one["endOfStandardSupportDate"].date() == date(2026, 12, 2)
    assert one["endOfExtendedSupportDate"].date() == date(2027, 12, 2)
    assert one["status"] == "extended-support"
    # And with includeAll, the unsupported ones too
    assert _statuses(eks.describe_cluster_versions(includeAll=True))["1.31"] == "UNSUPPORTED"
    # And a filter by status
    assert set(_statuses(eks.describe_cluster_versions(versionStatus="STANDARD_SUPPORT"))) == {"1.35", "1.36"}


def test_the_calendar_follows_the_day_the_embedded_aws_says_it_is(eks: Any) -> None:
    # Given a day inside 1.35's standard support, before 1.36 was released on EKS
    CALENDAR.set_today(date(2026, 3, 1))
    # Then 1.36 is not offered, 1.35 and 1.34 are in standard support, 1.32 still is (to 2026-03-23)
    statuses = _statuses(eks.describe_cluster_versions())
    assert "1.36" not in statuses
    assert (statuses["1.35"], statuses["1.34"], statuses["1.32"]) == ("STANDARD_SUPPORT",) * 3
    # When the day moves past 1.35's standard support
    CALENDAR.set_today(date(2027, 4, 1))
    # Then 1.35 is in extended support
    assert _statuses(eks.describe_cluster_versions())["1.35"] == "EXTENDED_SUPPORT"


@pytest.mark.parametrize("version", ["1.31", "1.28", "1.99", "2.0"])
def test_create_cluster_refuses_a_version_eks_does_not_offer(eks: Any, version: str) -> None:
    # When a cluster is asked for on a version past extended support, or one EKS never offered
    with pytest.raises(ClientError) as refused:
        eks.create_cluster(
            name=unique_name("c"), version=version, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s"]}
        )
    # Then EKS refuses it
    assert error_code(refused) == "InvalidParameterException"
    assert f"unsupported Kubernetes version {version}" in refused.value.response["Error"]["Message"]


def _create(eks: Any, name: str, **request: Any) -> None:
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s"]}, **request)


def test_create_cluster_keeps_the_upgrade_policy_and_defaults_to_extended(eks: Any) -> None:
    # When one cluster is created on 1.35 with the STANDARD policy, and one with neither version nor policy
    standard, default = unique_name("c"), unique_name("c")
    _create(eks, standard, version="1.35", upgradePolicy={"supportType": "STANDARD"})
    _create(eks, default)
    # Then each is described with its version and policy: EKS's default is the newest in standard support,
    # with extended support on
    first = eks.describe_cluster(name=standard)["cluster"]
    second = eks.describe_cluster(name=default)["cluster"]
    assert (first["version"], first["upgradePolicy"]) == ("1.35", {"supportType": "STANDARD"})
    assert (second["version"], second["upgradePolicy"]) == ("1.36", {"supportType": "EXTENDED"})


def test_create_cluster_refuses_standard_policy_on_a_version_in_extended_support(eks: Any) -> None:
    # When a cluster on 1.34 (in extended support since 2026-12-02) is asked for with the STANDARD policy
    with pytest.raises(ClientError) as refused:
        _create(eks, unique_name("c"), version="1.34", upgradePolicy={"supportType": "STANDARD"})
    # Then EKS refuses it; with EXTENDED it is created
    assert error_code(refused) == "InvalidParameterException"
    name = unique_name("c")
    _create(eks, name, version="1.34", upgradePolicy={"supportType": "EXTENDED"})
    assert eks.describe_cluster(name=name)["cluster"]["version"] == "1.34"


@pytest.fixture(scope="module")
def eks_ce(client: Callable[..., Any], eks: Any) -> Callable[..., dict[str, Any]]:
    """Creates an EKS compute environment with the given computeResources extras; its description."""
    ec2, iam, batch = client("ec2"), client("iam"), client("batch")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/26")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="versions", Description="nodes", VpcId=vpc)["GroupId"]
    iam.create_role(RoleName="batch-versions", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="batch-versions")["InstanceProfile"]["Arn"]
    cluster = unique_name("c")
    arn = eks.create_cluster(
        name=cluster, version="1.35", roleArn=ROLE, resourcesVpcConfig={"subnetIds": [subnet]}
    )["cluster"]["arn"]

    def create(**extra: Any) -> dict[str, Any]:
        name = unique_name("ce")
        eks_compute_environment(batch, name, arn, [subnet], [group], profile, **extra)
        return dict(batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"][0])

    return create


def test_batch_refuses_a_node_version_it_does_not_support(eks_ce: Callable[..., dict[str, Any]]) -> None:
    # When an EKS compute environment asks for nodes on Kubernetes 1.28
    with pytest.raises(ClientError) as refused:
        eks_ce(ec2Configuration=[{"imageType": "EKS_AL2023", "imageKubernetesVersion": "1.28"}])
    # Then Batch refuses it with its documented message
    assert error_code(refused) == "ClientException"
    assert refused.value.response["Error"]["Message"] == UNSUPPORTED_VERSION


def test_batch_keeps_the_node_version_or_picks_its_newest(eks_ce: Callable[..., dict[str, Any]]) -> None:
    # When one compute environment asks for 1.35 nodes and one names no version
    asked = eks_ce(ec2Configuration=[{"imageType": "EKS_AL2023", "imageKubernetesVersion": "1.35"}])
    picked = eks_ce()
    # Then the first is described with it; the second with what Batch picks, its newest, not the cluster's
    assert asked["computeResources"]["ec2Configuration"] == [
        {"imageType": "EKS_AL2023", "imageKubernetesVersion": "1.35"}
    ]
    assert picked["computeResources"]["ec2Configuration"] == [
        {"imageType": "EKS_AL2023", "imageKubernetesVersion": "1.36"}
    ]
