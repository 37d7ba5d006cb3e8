"""EKS add-ons (local/embedded_aws/moto_gaps/eks_addons.py), through a real moto server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.moto_gaps.eks_addons import ADDON_CATALOG
from tests.emulator.moto_gaps.support import ACCOUNT, REGION, active_cluster, error_code

SIX_ADDONS = {
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
    "amazon-cloudwatch-observability",
}


def test_addon_round_trip(eks: Any) -> None:
    # Given an ACTIVE cluster
    cluster = active_cluster(eks)
    # When an add-on is created with every field the control plane sends
    created = eks.create_addon(
        clusterName=cluster,
        addonName="amazon-cloudwatch-observability",
        serviceAccountRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cw",
        configurationValues=json.dumps({"containerLogs": {"enabled": True}}),
        resolveConflicts="OVERWRITE",
        podIdentityAssociations=[
            {"serviceAccount": "cloudwatch-agent", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/cw"}
        ],
        tags={"owner": "control-plane"},
    )["addon"]
    # Then it is CREATING, then ACTIVE at the first describe, keeping what was sent
    assert created["status"] == "CREATING"
    described = eks.describe_addon(clusterName=cluster, addonName="amazon-cloudwatch-observability")["addon"]
    assert described["status"] == "ACTIVE"
    assert described["addonVersion"] == "v2.6.0-eksbuild.1"
    assert described["serviceAccountRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/cw"
    assert json.loads(described["configurationValues"]) == {"containerLogs": {"enabled": True}}
    assert described["tags"] == {"owner": "control-plane"}
    assert len(described["podIdentityAssociations"]) == 1
    assert described["podIdentityAssociations"][0].startswith(
        f"arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{cluster}/a-"
    )
    # And the add-on owns a real Pod Identity association
    associations = eks.list_pod_identity_associations(clusterName=cluster)["associations"]
    assert [a["serviceAccount"] for a in associations] == ["cloudwatch-agent"]
    assert associations[0]["ownerArn"] == described["addonArn"]
    assert eks.list_addons(clusterName=cluster)["addons"] == ["amazon-cloudwatch-observability"]

    # When it is updated
    update = eks.update_addon(
        clusterName=cluster,
        addonName="amazon-cloudwatch-observability",
        addonVersion="v2.7.0-eksbuild.1",
        resolveConflicts="PRESERVE",
    )["update"]
    # Then the update is reported and the new version kept
    assert update["type"] == "AddonUpdate"
    assert update["status"] == "Successful"
    described = eks.describe_addon(clusterName=cluster, addonName="amazon-cloudwatch-observability")["addon"]
    assert described["addonVersion"] == "v2.7.0-eksbuild.1"

    # When it is deleted
    deleted = eks.delete_addon(clusterName=cluster, addonName="amazon-cloudwatch-observability")["addon"]
    # Then it answers DELETING, is gone, and so are its associations
    assert deleted["status"] == "DELETING"
    assert eks.list_addons(clusterName=cluster)["addons"] == []
    assert eks.list_pod_identity_associations(clusterName=cluster)["associations"] == []
    with pytest.raises(ClientError) as err:
        eks.describe_addon(clusterName=cluster, addonName="amazon-cloudwatch-observability")
    assert error_code(err) == "ResourceNotFoundException"


def test_unknown_addon_is_not_found(eks: Any) -> None:
    # Given a cluster without add-ons
    cluster = active_cluster(eks)
    # When an add-on that was never created is described, updated or deleted
    for call in (eks.describe_addon, eks.delete_addon, eks.update_addon):
        with pytest.raises(ClientError) as err:
            call(clusterName=cluster, addonName="coredns")
        # Then each answers ResourceNotFoundException
        assert error_code(err) == "ResourceNotFoundException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # And an unknown cluster is not found either
    with pytest.raises(ClientError) as err:
        eks.list_addons(clusterName="no-such-cluster")
    assert error_code(err) == "ResourceNotFoundException"


def test_duplicate_addon_is_in_use(eks: Any) -> None:
    # Given a cluster with coredns
    cluster = active_cluster(eks)
    eks.create_addon(clusterName=cluster, addonName="coredns")
    # When coredns is created again
    with pytest.raises(ClientError) as err:
        eks.create_addon(clusterName=cluster, addonName="coredns")
    # Then the API answers ResourceInUseException
    assert error_code(err) == "ResourceInUseException"


def test_describe_addon_versions_knows_the_six_addons(eks: Any) -> None:
    # When all supported versions for a Kubernetes version are asked for
    addons = eks.describe_addon_versions(kubernetesVersion="1.31")["addons"]
    # Then the six add-ons of the design are there, each with exactly one default version for 1.31
    assert {a["addonName"] for a in addons} == SIX_ADDONS
    for addon in addons:
        defaults = [
            v["addonVersion"]
            for v in addon["addonVersions"]
            for c in v["compatibilities"]
            if c["clusterVersion"] == "1.31" and c["defaultVersion"]
        ]
        assert len(defaults) == 1, addon
    # And a filter by name returns only that add-on
    only = eks.describe_addon_versions(addonName="coredns")["addons"]
    assert [a["addonName"] for a in only] == ["coredns"]


def _default(eks: Any, addon: str, cluster_version: str) -> str:
    [found] = eks.describe_addon_versions(addonName=addon, kubernetesVersion=cluster_version)["addons"]
    return next(
        v["addonVersion"]
        for v in found["addonVersions"]
        if any(c["defaultVersion"] for c in v["compatibilities"] if c["clusterVersion"] == cluster_version)
    )


def test_create_addon_installs_the_default_for_the_clusters_version(eks: Any) -> None:
    # Given a cluster on 1.35
    cluster = active_cluster(eks, version="1.35")
    # When kube-proxy is created without a version
    eks.create_addon(clusterName=cluster, addonName="kube-proxy")
    # Then it is EKS's default for 1.35, which is not 1.36's
    installed = eks.describe_addon(clusterName=cluster, addonName="kube-proxy")["addon"]["addonVersion"]
    assert installed == _default(eks, "kube-proxy", "1.35") == "v1.35.0-eksbuild.1"
    assert _default(eks, "kube-proxy", "1.36") != installed


def test_a_version_that_does_not_run_on_the_clusters_version_is_refused(eks: Any) -> None:
    # Given a cluster on 1.35
    cluster = active_cluster(eks, version="1.35")
    # When kube-proxy of 1.36 is asked for, on create or on update
    with pytest.raises(ClientError) as refused:
        eks.create_addon(clusterName=cluster, addonName="kube-proxy", addonVersion="v1.36.0-eksbuild.1")
    # Then EKS refuses it
    assert error_code(refused) == "InvalidParameterException"
    eks.create_addon(clusterName=cluster, addonName="kube-proxy")
    with pytest.raises(ClientError) as refused:
        eks.update_addon(clusterName=cluster, addonName="kube-proxy", addonVersion="v1.36.0-eksbuild.1")
    assert error_code(refused) == "InvalidParameterException"


def test_a_published_version_becomes_the_default(eks: Any) -> None:
    # Given EKS publishes a new coredns as its default
    ADDON_CATALOG.publish("coredns", "v1.13.0-eksbuild.1")
    # Then DescribeAddonVersions reports it as the default, and a new cluster gets it
    assert _default(eks, "coredns", "1.36") == "v1.13.0-eksbuild.1"
    cluster = active_cluster(eks)
    eks.create_addon(clusterName=cluster, addonName="coredns")
    assert eks.describe_addon(clusterName=cluster, addonName="coredns")["addon"]["addonVersion"] == (
        "v1.13.0-eksbuild.1"
    )
