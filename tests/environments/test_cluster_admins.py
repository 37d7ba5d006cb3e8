"""People's access to an environment's cluster: each principal named in ``clusterAdminPrincipalArns`` (the
provision input) or in the stack's ``ClusterAdminPrincipalArns`` gets an access entry with
AmazonEKSClusterAdminPolicy, so that the kubeconfig ``aws eks update-kubeconfig`` writes for that person
works; anyone else gets 401; a principal dropped from the input loses its entry on the next provisioning."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.demo.kubeconfig import exec_token, write_kubeconfig
from local.demo.person import Person, person
from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.client import KubeClient, KubernetesError
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld, failure_cause

NAME = "doeks-people"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


class People:
    def __init__(self, aws: EmbeddedAws, directory: Path):
        self.aws = aws
        self.directory = directory
        self.team_admin = person(aws, directory / "team", "team-admin")  # named in the stack's parameter
        self.walker = person(aws, directory / "walker", "blueprint-walker")  # named in the input
        self.stranger = person(aws, directory / "stranger", "stranger")  # named nowhere

    def nodes_as(self, someone: Person) -> int:
        """``kubectl get nodes`` with the kubeconfig written for ``someone``: the HTTP status."""
        cluster_arn = self.aws.client("eks").describe_cluster(name=NAME)["cluster"]["arn"]
        assert self.aws.kubernetes is not None
        cluster = self.aws.kubernetes.cluster_by_arn(cluster_arn)
        assert cluster is not None
        kubeconfig = write_kubeconfig(
            self.directory / someone.profile / "kube", cluster_arn, cluster, someone, self.aws.endpoint
        )
        client = KubeClient(cluster, token=exec_token(kubeconfig))
        try:
            client.get("/api/v1/nodes")
            return 200
        except KubernetesError as error:
            return error.status
        finally:
            client.close()


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProvisionWorld, People]]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        crowd = People(aws, tmp_path_factory.mktemp("people"))
        stack = aws.deploy(parameters={"ClusterAdminPrincipalArns": crowd.team_admin.role_arn})
        yield ProvisionWorld(aws, stack), crowd


def _admin_entries(world: ProvisionWorld) -> set[str]:
    eks = world.aws.client("eks")
    return set(eks.list_access_entries(clusterName=NAME, associatedPolicyArn=ADMIN_POLICY)["accessEntries"])


def test_each_named_principal_gets_in_and_nobody_else(people: tuple[ProvisionWorld, People]) -> None:
    world, crowd = people
    # When the environment is provisioned naming the walker (the stack names the team admin)
    description = world.run("provision", {"name": NAME, "clusterAdminPrincipalArns": [crowd.walker.role_arn]})
    assert description["status"] == "SUCCEEDED", description.get("cause")
    outputs = json.loads(description["output"])
    # Then both have an access entry with the cluster-admin policy, at cluster scope
    assert {crowd.walker.role_arn, crowd.team_admin.role_arn} <= _admin_entries(world)
    eks = world.aws.client("eks")
    [policy] = eks.list_associated_access_policies(clusterName=NAME, principalArn=crowd.walker.role_arn)[
        "associatedAccessPolicies"
    ]
    assert (policy["policyArn"], policy["accessScope"]["type"]) == (ADMIN_POLICY, "cluster")
    # And the kubeconfig update-kubeconfig writes for each lists the nodes; the stranger's gets 401
    assert crowd.nodes_as(crowd.walker) == 200
    assert crowd.nodes_as(crowd.team_admin) == 200
    assert crowd.nodes_as(crowd.stranger) == 401
    # And the outputs say who gets in, and how
    assert set(outputs["clusterAdminPrincipalArns"]) == {crowd.walker.role_arn, crowd.team_admin.role_arn}
    assert outputs["updateKubeconfigCommand"] == f"aws eks --region us-east-1 update-kubeconfig --name {NAME}"


def test_reprovisioning_without_a_principal_removes_its_entry(people: tuple[ProvisionWorld, People]) -> None:
    world, crowd = people
    # Given the environment, the walker in
    assert crowd.nodes_as(crowd.walker) == 200
    # When it is provisioned again without naming the walker
    description = world.run("provision", {"name": NAME})
    assert description["status"] == "SUCCEEDED", description.get("cause")
    # Then the walker's entry is gone and its kubeconfig gets 401; the stack's admin and the control plane's
    # own Kubernetes step keep theirs
    entries = _admin_entries(world)
    assert crowd.walker.role_arn not in entries
    assert crowd.team_admin.role_arn in entries
    assert world.stack.attribute("KubernetesStepFunctionRole", "Arn") in entries
    assert crowd.nodes_as(crowd.walker) == 401
    assert crowd.nodes_as(crowd.team_admin) == 200


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:sts::123456789012:assumed-role/Admin/alice",  # a session, not the role: EKS refuses it
        "arn:aws:iam::123456789012:group/admins",  # groups cannot have access entries
        "arn:aws:iam::12345:role/Admin",  # not an account id
        "Admin",
    ],
)
def test_a_principal_arn_of_another_form_is_refused_naming_the_field(
    people: tuple[ProvisionWorld, People], principal: str
) -> None:
    world, _ = people
    before = world.inventory()
    # When provisioning names it
    refused = world.run("provision", {"name": "doeks-bad-admin", "clusterAdminPrincipalArns": [principal]})
    # Then it fails at once with InvalidInput naming the field; nothing was created
    assert (refused["status"], refused["error"]) == ("FAILED", "InvalidInput")
    assert [p["field"] for p in failure_cause(refused)["problems"]] == ["clusterAdminPrincipalArns.0"]
    assert world.inventory() == before
