"""The stack's lifecycle end to end in the embedded AWS (a real kube-apiserver per EKS cluster):
`sam deploy` provisions the blueprint's environment through the deploy-time custom resource, and
`sam delete` tears it down through the teardown custom resource before answering CloudFormation, leaving
nothing behind. Deployed with the deploy-time provisioning on (the embedded AWS's default is off) and the
check loops at 0 s."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from local.embedded_aws.deploy.stack import CustomResourceAnswer, Stack
from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld

NAME = "doeks-aws-batch"  # <ResourcePrefix>-aws-batch
DEPLOYED_WITH_PROVISIONING = {"ProvisionBlueprintOnDeploy": "true", "LifecyclePollIntervalSeconds": "0"}
BOUND = 180.0


@dataclass
class Lifecycle:
    world: ProvisionWorld
    baseline: dict[str, list[str]]

    @property
    def stack(self) -> Stack:
        return self.world.stack


@pytest.fixture(scope="module")
def lifecycle() -> Iterator[Lifecycle]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        empty = ProvisionWorld(aws, stack=None)  # type: ignore[arg-type]  # inventory needs no stack
        baseline = empty.inventory()
        # Given the stack deployed as `sam deploy` does with the template's default: provisioning on
        stack = aws.deploy(parameters=DEPLOYED_WITH_PROVISIONING)
        yield Lifecycle(ProvisionWorld(aws, stack), baseline)


@pytest.fixture(scope="module")
def provisioned(lifecycle: Lifecycle) -> dict[str, object]:
    """The deploy-time provisioning's execution, once it has ended."""
    execution = lifecycle.stack.outputs["BlueprintProvisioningExecutionArn"]
    return lifecycle.world.aws.wait_for_execution(execution, BOUND)


@pytest.fixture(scope="module")
def deleted(lifecycle: Lifecycle, provisioned: dict[str, object]) -> list[CustomResourceAnswer]:
    """`sam delete`: every custom resource's Delete, answered."""
    return lifecycle.stack.delete(BOUND)


def test_deploying_the_stack_provisions_the_blueprints_environment(
    lifecycle: Lifecycle, provisioned: dict[str, object]
) -> None:
    # Then the deployment answered at once with the provisioning's execution (the stack's output)
    execution = str(lifecycle.stack.outputs["BlueprintProvisioningExecutionArn"])
    assert ":execution:doeks-provision-environment:stack-create-" in execution
    # And that execution provisioned the blueprint's environment: READY, with its queues
    assert provisioned["status"] == "SUCCEEDED", provisioned.get("cause")
    record = lifecycle.world.environment(NAME)
    assert record is not None
    assert record["status"] == "READY"
    inventory = lifecycle.world.inventory()
    assert inventory["EKS clusters"] == [NAME]
    assert inventory["job queues"] == [f"{NAME}-JQ1_OD", f"{NAME}-JQ1_SPOT"]
    # And the stack's outputs name that environment's cluster
    assert lifecycle.stack.outputs["UpdateKubeconfigCommand"] == (
        f"aws eks --region us-east-1 update-kubeconfig --name {NAME}"
    )


def test_deleting_the_stack_tears_the_environment_down_before_answering(
    lifecycle: Lifecycle, deleted: list[CustomResourceAnswer]
) -> None:
    # Then both custom resources answered Delete with SUCCESS, the teardown once the environment was gone
    assert [(a.logical_id, a.status) for a in deleted] == [
        ("BlueprintOnDeploy", "SUCCESS"),
        ("EnvironmentsTeardownOnDelete", "SUCCESS"),
    ]
    assert deleted[1].body["Reason"] == f"environments removed: {NAME}"
    assert lifecycle.stack.status == "DELETE_COMPLETE"
    # And the environment is DELETED, through the teardown workflow
    record = lifecycle.world.environment(NAME)
    assert record is not None
    assert record["status"] == "DELETED"
    # And nothing it had is left: clusters, node groups, add-ons, Batch resources, log groups
    assert lifecycle.world.inventory() == lifecycle.baseline


def test_deleting_the_stack_while_its_environment_is_being_provisioned() -> None:
    # Given a stack just deployed, whose environment's cluster is still being created (held CREATING until
    # released), its provisioning checking on it every second
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        aws.readiness.hold("cluster", NAME, None)
        stack = aws.deploy(parameters={**DEPLOYED_WITH_PROVISIONING, "LifecyclePollIntervalSeconds": "1"})
        world = ProvisionWorld(aws, stack)
        provisioning = str(stack.outputs["BlueprintProvisioningExecutionArn"])
        assert aws.signals.wait("invoke:EksStepFunction", BOUND)
        released = threading.Event()

        def release_the_cluster_once_provisioning_stops() -> None:
            # (the cluster would otherwise never be ready, and its deletion never seen to end)
            description = aws.wait_for_execution(provisioning, BOUND)
            if description["status"] == "ABORTED":
                aws.readiness.hold("cluster", NAME, 0)
                released.set()

        watcher = threading.Thread(target=release_the_cluster_once_provisioning_stops, daemon=True)
        watcher.start()
        # When the stack is deleted
        answers = stack.delete(BOUND)
        watcher.join(BOUND)
        # Then the provisioning was stopped, its environment taken over by a teardown, and Delete answered
        # SUCCESS once the teardown had removed everything
        assert released.is_set(), "the provisioning was not stopped"
        assert [a.status for a in answers] == ["SUCCESS", "SUCCESS"], answers[-1].body
        record = world.environment(NAME)
        assert record is not None
        assert record["status"] == "DELETED"
        assert world.inventory()["EKS clusters"] == []
