"""EKS Auth's AssumeRoleForPodIdentity (local/embedded_aws/moto_gaps/eks_auth.py), what the Pod Identity
agent asks for a pod: the association's role is assumed only where the role's trust policy allows EKS Pod
Identity with the session tags it sets (eks-cluster-name, kubernetes-namespace, kubernetes-service-account)
and the account, as STS evaluates it for AssumeRole and TagSession. Through a real moto server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.embedded_aws.moto_gaps.eks_auth import PodIdentityRefused, assume_role_for_pod_identity
from tests.emulator.moto_gaps.support import ACCOUNT, REGION, active_cluster, unique_name


def trust(cluster: str, namespace: str = "jobs", service_account: str = "aws-batch-job") -> dict[str, Any]:
    """A per-environment job role's trust, as the Kubernetes step writes it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": ACCOUNT,
                        "aws:RequestTag/eks-cluster-name": cluster,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": service_account,
                    }
                },
            }
        ],
    }


@pytest.fixture(scope="module")
def iam(client: Callable[..., Any]) -> Any:
    return client("iam")


def role(iam: Any, document: dict[str, Any]) -> str:
    return str(
        iam.create_role(RoleName=unique_name("job"), AssumeRolePolicyDocument=json.dumps(document))["Role"][
            "Arn"
        ]
    )


def associate(
    eks: Any, cluster: str, role_arn: str, namespace: str = "jobs", sa: str = "aws-batch-job"
) -> None:
    eks.create_pod_identity_association(
        clusterName=cluster, namespace=namespace, serviceAccount=sa, roleArn=role_arn
    )


def caller(credentials: Any, endpoint: str) -> str:
    sts = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )
    return str(sts.get_caller_identity()["Arn"])


def test_a_pod_gets_a_session_of_the_role_its_environment_trusts(eks: Any, iam: Any, endpoint: str) -> None:
    # Given a cluster whose job service account is associated with a role that trusts that cluster's pods
    cluster = active_cluster(eks)
    role_arn = role(iam, trust(cluster))
    associate(eks, cluster, role_arn)
    # When the agent asks for the pod's credentials
    credentials = assume_role_for_pod_identity(ACCOUNT, REGION, cluster, "jobs", "aws-batch-job")
    # Then they are a session of that role
    assert credentials is not None
    assert f":assumed-role/{role_arn.rsplit('/', 1)[-1]}/" in caller(credentials, endpoint)


def test_a_service_account_without_an_association_gets_nothing(eks: Any) -> None:
    cluster = active_cluster(eks)
    assert assume_role_for_pod_identity(ACCOUNT, REGION, cluster, "jobs", "aws-batch-job") is None


@pytest.mark.parametrize(
    ("namespace", "service_account", "refused_on"),
    [
        ("jobs", "aws-batch-job", "eks-cluster-name"),
        ("other", "aws-batch-job", "eks-cluster-name"),
    ],
    ids=["another-clusters-role", "another-clusters-role-other-namespace"],
)
def test_a_pod_associated_with_another_environments_role_is_refused(
    eks: Any, iam: Any, namespace: str, service_account: str, refused_on: str
) -> None:
    # Given environment A's job service account associated with environment B's role (which trusts B only)
    cluster_a, cluster_b = active_cluster(eks), active_cluster(eks)
    role_b = role(iam, trust(cluster_b, namespace, service_account))
    associate(eks, cluster_a, role_b, namespace, service_account)
    # When the agent asks for A's pod's credentials
    # Then STS refuses the role (AccessDenied, as EKS Auth answers), naming the role
    with pytest.raises(PodIdentityRefused) as refused:
        assume_role_for_pod_identity(ACCOUNT, REGION, cluster_a, namespace, service_account)
    assert role_b in str(refused.value)


@pytest.mark.parametrize(
    ("namespace", "service_account"),
    [("elsewhere", "aws-batch-job"), ("jobs", "another-account")],
    ids=["namespace", "service-account"],
)
def test_a_pod_of_another_namespace_or_service_account_is_refused(
    eks: Any, iam: Any, namespace: str, service_account: str
) -> None:
    # Given a role that trusts the cluster's jobs/aws-batch-job only, associated with another service account
    cluster = active_cluster(eks)
    associate(eks, cluster, role(iam, trust(cluster)), namespace, service_account)
    # Then that service account's pods get nothing
    with pytest.raises(PodIdentityRefused):
        assume_role_for_pod_identity(ACCOUNT, REGION, cluster, namespace, service_account)


def test_a_role_that_does_not_trust_eks_pod_identity_is_refused(eks: Any, iam: Any) -> None:
    cluster = active_cluster(eks)
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    associate(eks, cluster, role(iam, lambda_trust))
    with pytest.raises(PodIdentityRefused):
        assume_role_for_pod_identity(ACCOUNT, REGION, cluster, "jobs", "aws-batch-job")


def test_a_role_that_allows_assume_role_but_not_tag_session_is_refused(eks: Any, iam: Any) -> None:
    # Pod Identity always tags its sessions, so the trust must allow sts:TagSession too
    cluster = active_cluster(eks)
    document = trust(cluster)
    document["Statement"][0]["Action"] = "sts:AssumeRole"
    associate(eks, cluster, role(iam, document))
    with pytest.raises(PodIdentityRefused):
        assume_role_for_pod_identity(ACCOUNT, REGION, cluster, "jobs", "aws-batch-job")


def test_the_stack_wide_pattern_of_a_cluster_name_is_matched_as_aws_does(eks: Any, iam: Any) -> None:
    # Given the add-on roles' trust: StringLike on the cluster name
    cluster = active_cluster(eks)
    document = trust(cluster)
    del document["Statement"][0]["Condition"]["StringEquals"]["aws:RequestTag/eks-cluster-name"]
    document["Statement"][0]["Condition"]["StringLike"] = {"aws:RequestTag/eks-cluster-name": "c-*"}
    associate(eks, cluster, role(iam, document))
    assert assume_role_for_pod_identity(ACCOUNT, REGION, cluster, "jobs", "aws-batch-job") is not None
