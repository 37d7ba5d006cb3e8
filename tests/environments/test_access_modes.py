"""Both access modes end to end through the state machines, with the real handlers and a real kube-apiserver
per cluster: provision, a run on each queue, teardown.

- ``aws-auth`` (the blueprint's, the default): an ``API_AND_CONFIG_MAP`` cluster; aws-auth maps Batch's
  service-linked role to ``aws-batch`` and Batch's instance role to a node; the compute environments say
  ``accessEntry.desiredState`` DISABLED, so Batch keeps no entry of its own.
- ``batch-access-entry``: an ``API`` cluster, which has no aws-auth; the compute environments say ENABLED,
  so Batch makes its own entry (user ``aws-batch``); Batch's instance role has an ``EC2_LINUX`` entry; the
  API server's own audit log shows no request for ``kube-system/aws-auth`` from provisioning to teardown;
  teardown deletes both entries (DISABLED is refused on an API cluster) before the cluster.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.client import KubeClient
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld

MODES = {"aws-auth": "doeks-mode-auth", "batch-access-entry": "doeks-mode-entry"}
CLUSTER_MODE = {"aws-auth": "API_AND_CONFIG_MAP", "batch-access-entry": "API"}
DESIRED_STATE = {"aws-auth": "DISABLED", "batch-access-entry": "ENABLED"}


@dataclass
class Lifecycle:
    """What one environment looked like once provisioned, its runs, and what its teardown did."""

    cluster_arn: str
    authentication_mode: str
    access_entries: dict[str, dict[str, Any]]  # principal -> DescribeAccessEntry's accessEntry
    compute_environments: list[dict[str, Any]]
    aws_auth_roles: str | None
    runs: list[dict[str, Any]]
    teardown: dict[str, Any]
    deleted_entries: list[str]  # DeleteAccessEntry's principals during teardown, before DeleteCluster
    audit: list[dict[str, Any]]


@pytest.fixture(scope="module")
def world() -> Iterator[ProvisionWorld]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        yield ProvisionWorld(aws, aws.deploy())


def _job_definition(world: ProvisionWorld) -> str:
    name = f"fast-{uuid.uuid4().hex[:8]}"
    world.aws.client("batch").register_job_definition(
        jobDefinitionName=name,
        type="container",
        eksProperties={
            "podProperties": {
                "containers": [
                    {
                        "name": "application",
                        "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
                        "command": ["/bin/sh", "-c", "echo 'Hello World!'"],
                        "resources": {"limits": {"cpu": "1", "memory": "1024Mi"}},
                    }
                ]
            }
        },
    )
    return name


def _run(world: ProvisionWorld, name: str, queue: str, definition: str) -> dict[str, Any]:
    arn = world.aws.client("stepfunctions").start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps(
            {"environment": name, "jobName": "hello", "jobDefinition": definition, "jobQueue": queue}
        ),
    )["executionArn"]
    return world.aws.wait_for_execution(arn, 60)


def _lifecycle(world: ProvisionWorld, mode: str) -> Lifecycle:
    name = MODES[mode]
    eks, batch = world.aws.client("eks"), world.aws.client("batch")
    provisioned = world.run("provision", {"name": name, "accessMode": mode})
    assert provisioned["status"] == "SUCCEEDED", provisioned.get("cause")
    queues = json.loads(provisioned["output"])["jobQueues"]
    cluster = eks.describe_cluster(name=name)["cluster"]
    entries = {
        principal: eks.describe_access_entry(clusterName=name, principalArn=principal)["accessEntry"]
        for principal in eks.list_access_entries(clusterName=name)["accessEntries"]
    }
    ces = batch.describe_compute_environments(computeEnvironments=[f"{name}-CE1_OD", f"{name}-CE1_SPOT"])
    assert world.aws.kubernetes is not None
    kube = world.aws.kubernetes.cluster_by_arn(cluster["arn"])
    assert kube is not None
    # Listed rather than read by name: the test's own look must not be a request for kube-system/aws-auth
    config_maps = KubeClient(kube).get("/api/v1/namespaces/kube-system/configmaps")["items"]
    aws_auth = next((c for c in config_maps if c["metadata"]["name"] == "aws-auth"), None)
    definition = _job_definition(world)
    runs = [_run(world, name, queue, definition) for queue in (queues["onDemand"], queues["spot"])]
    calls_before = len(world.aws.calls)
    teardown = world.run("teardown", {"name": name})
    during = [c for c in world.aws.calls[calls_before:] if c.params.get("clusterName", c.params.get("name"))]
    ends = [i for i, c in enumerate(during) if c.operation == "DeleteCluster"]
    deleted = [
        str(c.params["principalArn"])
        for c in during[: ends[0] if ends else len(during)]
        if c.operation == "DeleteAccessEntry" and c.params["clusterName"] == name
    ]
    return Lifecycle(
        cluster_arn=cluster["arn"],
        authentication_mode=cluster["accessConfig"]["authenticationMode"],
        access_entries=entries,
        compute_environments=ces["computeEnvironments"],
        aws_auth_roles=aws_auth["data"]["mapRoles"] if aws_auth else None,
        runs=runs,
        teardown=teardown,
        deleted_entries=deleted,
        audit=world.aws.kubernetes.audit_log(cluster["arn"]),
    )


@pytest.fixture(scope="module", params=list(MODES))
def lifecycle(request: pytest.FixtureRequest, world: ProvisionWorld) -> Lifecycle:
    return _lifecycle(world, str(request.param))


def _mode(lifecycle: Lifecycle) -> str:
    return next(m for m, c in CLUSTER_MODE.items() if c == lifecycle.authentication_mode)


def test_the_cluster_and_the_compute_environments_carry_the_mode(lifecycle: Lifecycle) -> None:
    # Given an environment provisioned in one access mode (the fixture's parameter)
    mode = _mode(lifecycle)
    # Then the cluster's authenticationMode is the mode's, and each compute environment says so explicitly
    for ce in lifecycle.compute_environments:
        access_entry = ce["eksConfiguration"]["accessEntry"]
        assert access_entry["desiredState"] == DESIRED_STATE[mode]
        assert access_entry["status"] == ("ACTIVE" if mode == "batch-access-entry" else "INACTIVE")


def test_batch_and_its_nodes_get_in_the_modes_way(world: ProvisionWorld, lifecycle: Lifecycle) -> None:
    mode = _mode(lifecycle)
    account = lifecycle.cluster_arn.split(":")[4]
    batch_role = f"arn:aws:iam::{account}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
    instance_role = world.stack.outputs["BatchInstanceRoleArn"]
    if mode == "batch-access-entry":
        # Then Batch's own entry makes it aws-batch, its instance role has a node entry, and there is no
        # aws-auth at all
        assert lifecycle.access_entries[batch_role]["username"] == "aws-batch"
        assert lifecycle.access_entries[instance_role]["type"] == "EC2_LINUX"
        assert lifecycle.aws_auth_roles is None
    else:
        # Then aws-auth maps both, and neither has an access entry
        assert batch_role not in lifecycle.access_entries
        assert instance_role not in lifecycle.access_entries
        assert lifecycle.aws_auth_roles is not None
        assert ":role/AWSServiceRoleForBatch" in lifecycle.aws_auth_roles
        assert f":role/{instance_role.rsplit('/', 1)[-1]}" in lifecycle.aws_auth_roles


def test_a_run_on_each_queue_succeeds_and_teardown_leaves_nothing(
    world: ProvisionWorld, lifecycle: Lifecycle
) -> None:
    # Then a run on each queue succeeded, its pod made by Batch as the user the mode maps it to
    for run in lifecycle.runs:
        assert run["status"] == "SUCCEEDED", run.get("cause")
    pods = [
        r
        for r in lifecycle.audit
        if r["verb"] == "create" and (r.get("objectRef") or {}).get("resource") == "pods"
    ]
    assert {r["user"]["username"] for r in pods if r["responseStatus"]["code"] == 201} == {"aws-batch"}
    # And teardown succeeded, and the cluster is gone
    assert lifecycle.teardown["status"] == "SUCCEEDED", lifecycle.teardown.get("cause")
    assert MODES[_mode(lifecycle)] not in world.aws.client("eks").list_clusters()["clusters"]


def test_batch_access_entry_mode_never_touches_aws_auth(world: ProvisionWorld, lifecycle: Lifecycle) -> None:
    mode = _mode(lifecycle)
    touched = [r for r in lifecycle.audit if (r.get("objectRef") or {}).get("name") == "aws-auth"]
    if mode == "aws-auth":
        # Then (the other mode) the API server recorded aws-auth's writes: the audit log does see them
        assert any(r["verb"] in ("create", "update", "patch") for r in touched)
        return
    # Then the API server's own record of requests has none for kube-system/aws-auth, from provisioning
    # through the runs to teardown
    assert touched == [], [
        (r["verb"], r["user"]["username"], r.get("userAgent"), r["responseStatus"]["code"]) for r in touched
    ]
    # And teardown deleted Batch's entry and the node entry before the cluster: DISABLED being refused on an
    # API cluster, the entry Batch made is deleted with DeleteAccessEntry once no compute environment is left
    account = lifecycle.cluster_arn.split(":")[4]
    batch_role = f"arn:aws:iam::{account}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
    assert set(lifecycle.deleted_entries) >= {batch_role, world.stack.outputs["BatchInstanceRoleArn"]}
