"""Issue 4: the provision and teardown workflows' wait loops and failure paths, in the embedded AWS with
the real handlers (poll interval 0): loops that really loop, bounds that are hit, AWS's failures reported
with AWS's reason, and rollbacks and teardowns that leave nothing behind."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST
from tests.integration.provision_support import ProvisionWorld, failure_cause


@pytest.fixture(scope="module")
def world() -> Iterator[ProvisionWorld]:
    with EmbeddedAws(timings=FAST, kubernetes=True) as aws:
        yield ProvisionWorld(aws, aws.deploy())


def _rollback_of(world: ProvisionWorld, name: str) -> dict[str, object]:
    """The rollback teardown the failed provisioning started, once it has ended."""
    record = world.environment(name)
    assert record is not None
    assert record.get("rollbackExecutionArn"), record
    return world.aws.wait_for_execution(str(record["rollbackExecutionArn"]), 180)


def test_wait_loops_really_loop(world: ProvisionWorld) -> None:
    before = world.inventory()
    # Given a cluster, node group, add-on and compute environment that stay creating for a few describes
    name = "doeks-slow"
    world.aws.readiness.hold("cluster", name, describes=3)
    world.aws.readiness.hold("nodegroup", f"{name}/core-node-group", describes=2)
    world.aws.readiness.hold("addon", f"{name}/coredns", describes=2)
    world.aws.readiness.hold("compute-environment", f"{name}-CE1_SPOT", describes=2)
    # When the environment is provisioned
    arn = world.start("provision", {"name": name, "pollIntervalSeconds": 0})
    description = world.aws.wait_for_execution(arn, 180)
    # Then it succeeds, and the history shows each check loop going round until its resource was ready
    assert description["status"] == "SUCCEEDED", description.get("cause")
    entered = world.entered(arn)
    assert entered.count("CheckCluster") == 4
    assert entered.count("WaitForCluster") == 4
    assert entered.count("CheckNodegroup") == 3
    assert entered.count("CheckAddons") == 3
    assert entered.count("CheckSpotComputeEnvironment") == 3
    assert entered.count("CheckOnDemandComputeEnvironment") == 1
    # And its teardown leaves nothing
    assert world.run("teardown", {"name": name})["status"] == "SUCCEEDED"
    assert world.inventory() == before


def test_a_never_ready_cluster_hits_the_bound_and_rolls_back(world: ProvisionWorld) -> None:
    before = world.inventory()
    # Given a cluster that never becomes ACTIVE
    name = "doeks-never"
    world.aws.readiness.hold("cluster", name, describes=None)
    # When the environment is provisioned with at most 3 checks per loop
    arn = world.start("provision", {"name": name, "pollIntervalSeconds": 0, "maxChecks": 3})
    description = world.aws.wait_for_execution(arn, 180)
    # Then it fails with the named error, after exactly 3 checks, naming the step
    assert (description["status"], description["error"]) == ("FAILED", "WaitBoundExceeded")
    cause = failure_cause(description)
    assert cause["step"] == "checkCluster"
    assert "still CREATING after 3 checks" in cause["reason"]
    entered = world.entered(arn)
    assert entered.count("CheckCluster") == 3
    assert entered[-5:] == ["RecordFailure", "RollBack?", "StartRollback", "DescribeFailure", "Failed"]
    record = world.environment(name)
    assert record is not None
    failed = [e["detail"] for e in record["timeline"] if e["step"] == "failed"]
    assert failed[0] == f"checkCluster: WaitBoundExceeded: {cause['reason']}"
    # And the rollback ran: it cannot delete a cluster that is still CREATING (EKS refuses), so it too ends
    # at its bound, naming the cluster
    rollback = _rollback_of(world, name)
    assert (rollback["status"], rollback["error"]) == ("FAILED", "WaitBoundExceeded")
    assert failure_cause(rollback)["step"] == "checkClusterDeleted"
    # And once the cluster is out of CREATING, a teardown removes everything
    world.aws.readiness.reset()
    assert world.run("teardown", {"name": name})["status"] == "SUCCEEDED"
    assert world.inventory() == before


def test_an_invalid_compute_environment_fails_with_its_reason_and_the_rollback_leaves_nothing(
    world: ProvisionWorld,
) -> None:
    before = world.inventory()
    # Given a Spot compute environment that goes INVALID, as Batch reports it
    name = "doeks-invalid"
    reason = "CLIENT_ERROR - The specified instance profile does not exist"
    world.aws.readiness.hold("compute-environment", f"{name}-CE1_SPOT", describes=1, fail_reason=reason)
    # When the environment is provisioned
    arn = world.start("provision", {"name": name, "pollIntervalSeconds": 0})
    description = world.aws.wait_for_execution(arn, 180)
    # Then it fails with ResourceFailed and Batch's statusReason
    assert (description["status"], description["error"]) == ("FAILED", "ResourceFailed")
    cause = failure_cause(description)
    assert cause["step"] == "checkComputeEnvironment"
    assert reason in cause["reason"]
    record = world.environment(name)
    assert record is not None
    assert reason in record["failure"]["reason"]
    # And the rollback leaves nothing behind: every resource list is as before
    rollback = _rollback_of(world, name)
    assert rollback["status"] == "SUCCEEDED", rollback.get("cause")
    assert world.inventory() == before
    after = world.environment(name)
    assert after is not None
    assert after["status"] == "DELETED"


def test_a_half_provisioned_environment_tears_down_cleanly_twice(world: ProvisionWorld) -> None:
    before = world.inventory()
    # Given an environment whose provisioning failed half-way, without rollback
    name = "doeks-half"
    world.aws.readiness.hold(
        "compute-environment", f"{name}-CE1_OD", describes=0, fail_reason="CLIENT_ERROR - no"
    )
    failed = world.run("provision", {"name": name, "rollbackOnFailure": False})
    assert (failed["status"], failed["error"]) == ("FAILED", "ResourceFailed")
    record = world.environment(name)
    assert record is not None
    assert record["status"] == "FAILED"
    assert "rollbackExecutionArn" not in record
    assert name in world.inventory()["EKS clusters"]
    # When it is torn down, twice
    first = world.run("teardown", {"name": name})
    second = world.run("teardown", {"name": name})
    # Then both succeed and nothing is left
    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert second["status"] == "SUCCEEDED", second.get("cause")
    assert world.inventory() == before


def test_teardown_leaves_what_is_not_ours(world: ProvisionWorld) -> None:
    before = world.inventory()
    # Given an environment whose on-demand queue has lost this control plane's tag (someone else's now)
    name = "doeks-foreign"
    batch = world.aws.client("batch")
    assert world.run("provision", {"name": name})["status"] == "SUCCEEDED"
    queue_arn = batch.describe_job_queues(jobQueues=[f"{name}-JQ1_OD"])["jobQueues"][0]["jobQueueArn"]
    batch.untag_resource(resourceArn=queue_arn, tagKeys=["batch-on-eks:environment"])
    # When the environment is torn down
    description = world.run("teardown", {"name": name})
    # Then the teardown refuses to touch it, and says so
    assert (description["status"], description["error"]) == ("FAILED", "ResourceNotOwned")
    assert f"{name}-JQ1_OD" in failure_cause(description)["reason"]
    assert f"{name}-JQ1_OD" in world.inventory()["job queues"]
    # (once the queue is ours again, the teardown finishes)
    batch.tag_resource(resourceArn=queue_arn, tags={"batch-on-eks:environment": name})
    assert world.run("teardown", {"name": name})["status"] == "SUCCEEDED"
    assert world.inventory() == before


def test_a_second_provisioning_while_one_runs_is_refused(world: ProvisionWorld) -> None:
    before = world.inventory()
    # Given a provisioning in progress (its cluster held CREATING)
    name = "doeks-busy"
    world.aws.readiness.hold("cluster", name, describes=None)
    first = world.start("provision", {"name": name, "pollIntervalSeconds": 1, "maxChecks": 1000})
    world.wait_until_held(name, first)
    # When another provisioning of the same environment starts
    second = world.aws.wait_for_execution(world.start("provision", {"name": name, "pollIntervalSeconds": 0}))
    # Then it is refused, naming the execution that holds the environment
    assert (second["status"], second["error"]) == ("FAILED", "EnvironmentBusy")
    assert json.loads(second["cause"])["executionArn"] == first
    world.aws.client("stepfunctions").stop_execution(executionArn=first)
    world.aws.wait_for_execution(first)
    world.aws.readiness.reset()
    assert world.run("teardown", {"name": name})["status"] == "SUCCEEDED"
    assert world.inventory() == before
