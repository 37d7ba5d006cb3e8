"""local/embedded_aws/moto_gaps/: moto's missing EKS/Batch pieces, exercised through a real moto server."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local.embedded_aws.moto_gaps import install
from local.embedded_aws.moto_gaps.batch import eks_namespace_for_queue
from local.embedded_aws.moto_gaps.readiness import READINESS

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster-role"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-node-role"
BATCH_SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
SIX_ADDONS = {
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
    "amazon-cloudwatch-observability",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    install()
    install()  # idempotent
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _readiness_reset() -> Iterator[None]:
    yield
    READINESS.reset()


@pytest.fixture(scope="module")
def client(endpoint: str) -> Callable[..., Any]:
    def make(service: str, *, validate: bool = True) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(parameter_validation=validate, retries={"max_attempts": 1}),
        )

    return make


@pytest.fixture(scope="module")
def eks(client: Callable[..., Any]) -> Any:
    return client("eks")


@pytest.fixture(scope="module")
def batch(client: Callable[..., Any]) -> Any:
    return client("batch")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _active_cluster(eks: Any, mode: str = "API_AND_CONFIG_MAP") -> str:
    name = _name("c")
    eks.create_cluster(
        name=name,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
        accessConfig={"authenticationMode": mode},
    )
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE"
    return name


def _error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def network(client: Callable[..., Any]) -> dict[str, Any]:
    ec2, iam = client("ec2"), client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/26")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    iam.create_role(RoleName="batch-instance", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="batch-instance")["InstanceProfile"]["Arn"]
    return {"subnets": [subnet], "securityGroupIds": [sg], "instanceRole": profile}


def _create_ce(batch: Any, network: dict[str, Any], name: str, eks_arn: str | None = None) -> None:
    extra: dict[str, Any] = {}
    if eks_arn:
        extra["eksConfiguration"] = {"eksClusterArn": eks_arn, "kubernetesNamespace": "doeks-aws-batch"}
    batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "EC2",
            "allocationStrategy": "BEST_FIT_PROGRESSIVE",
            "minvCpus": 0,
            "maxvCpus": 256,
            "instanceTypes": ["optimal"],
            **network,
        },
        **extra,
    )


def _ce_status(batch: Any, name: str) -> dict[str, Any]:
    envs = batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    assert len(envs) == 1
    return dict(envs[0])


# --------------------------------------------------------------------------------- add-ons
def test_addon_round_trip(eks: Any) -> None:
    # Given an ACTIVE cluster
    cluster = _active_cluster(eks)
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
    assert _error_code(err) == "ResourceNotFoundException"


def test_unknown_addon_is_not_found(eks: Any) -> None:
    # Given a cluster without add-ons
    cluster = _active_cluster(eks)
    # When an add-on that was never created is described, updated or deleted
    for call in (eks.describe_addon, eks.delete_addon, eks.update_addon):
        with pytest.raises(ClientError) as err:
            call(clusterName=cluster, addonName="coredns")
        # Then each answers ResourceNotFoundException
        assert _error_code(err) == "ResourceNotFoundException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # And an unknown cluster is not found either
    with pytest.raises(ClientError) as err:
        eks.list_addons(clusterName="no-such-cluster")
    assert _error_code(err) == "ResourceNotFoundException"


def test_duplicate_addon_is_in_use(eks: Any) -> None:
    # Given a cluster with coredns
    cluster = _active_cluster(eks)
    eks.create_addon(clusterName=cluster, addonName="coredns")
    # When coredns is created again
    with pytest.raises(ClientError) as err:
        eks.create_addon(clusterName=cluster, addonName="coredns")
    # Then the API answers ResourceInUseException
    assert _error_code(err) == "ResourceInUseException"


def test_describe_addon_versions_knows_the_six_addons(eks: Any) -> None:
    # When all supported versions for a Kubernetes version are asked for
    addons = eks.describe_addon_versions(kubernetesVersion="1.31")["addons"]
    # Then the six add-ons of the design are there, each with a default version
    assert {a["addonName"] for a in addons} == SIX_ADDONS
    for addon in addons:
        compat = addon["addonVersions"][0]["compatibilities"]
        assert compat == [{"clusterVersion": "1.31", "platformVersions": ["*"], "defaultVersion": True}]
    # And a filter by name returns only that add-on
    only = eks.describe_addon_versions(addonName="coredns")["addons"]
    assert [a["addonName"] for a in only] == ["coredns"]


# --------------------------------------------------------------------------------- clusters
def test_create_cluster_keeps_access_config(eks: Any) -> None:
    # When a cluster is created without accessConfig, and one with it
    default = _name("c")
    eks.create_cluster(name=default, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    explicit = _name("c")
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
    assert _error_code(err) == "InvalidParameterException"


def test_deleted_cluster_is_not_found(eks: Any) -> None:
    # Given an ACTIVE cluster
    cluster = _active_cluster(eks)
    # When it is deleted
    deleted = eks.delete_cluster(name=cluster)["cluster"]
    # Then the delete answers DELETING and the cluster is gone afterwards
    assert deleted["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        eks.describe_cluster(name=cluster)
    assert _error_code(err) == "ResourceNotFoundException"
    assert cluster not in eks.list_clusters()["clusters"]


# --------------------------------------------------------------------------------- access entries
def test_access_entry_and_policy_round_trip(eks: Any) -> None:
    # Given a cluster in API_AND_CONFIG_MAP mode
    cluster = _active_cluster(eks)
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
    assert _error_code(err) == "ResourceInUseException"

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
    assert _error_code(err) == "ResourceNotFoundException"
    assert eks.list_access_entries(clusterName=cluster)["accessEntries"] == []


def test_access_entry_rejects_service_linked_role(eks: Any) -> None:
    # Given a cluster in API_AND_CONFIG_MAP mode
    cluster = _active_cluster(eks)
    # When an access entry is asked for the Batch service-linked role
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName=cluster, principalArn=BATCH_SLR)
    # Then EKS refuses it, as the real service does
    assert _error_code(err) == "InvalidParameterException"
    assert "service-linked" in err.value.response["Error"]["Message"]


def test_access_entries_need_api_authentication_mode(eks: Any) -> None:
    # Given a cluster left in the API default, CONFIG_MAP
    cluster = _active_cluster(eks, mode="CONFIG_MAP")
    # When an access entry is created
    with pytest.raises(ClientError) as err:
        eks.create_access_entry(clusterName=cluster, principalArn=f"arn:aws:iam::{ACCOUNT}:role/x")
    # Then the request is refused
    assert _error_code(err) == "InvalidRequestException"


# --------------------------------------------------------------------------------- pod identity
def test_pod_identity_association_round_trip(eks: Any) -> None:
    # Given a cluster
    cluster = _active_cluster(eks)
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
    assert _error_code(err) == "ResourceInUseException"
    # When it is deleted
    deleted = eks.delete_pod_identity_association(
        clusterName=cluster, associationId=association["associationId"]
    )
    # Then it is gone
    assert deleted["association"]["associationId"] == association["associationId"]
    assert eks.list_pod_identity_associations(clusterName=cluster)["associations"] == []


# --------------------------------------------------------------------------------- readiness (EKS)
def _cluster_status(eks: Any, name: str) -> tuple[str, dict[str, Any]]:
    cluster = eks.describe_cluster(name=name)["cluster"]
    return cluster["status"], cluster.get("health", {})


@pytest.mark.parametrize("kind", ["cluster", "nodegroup", "addon"])
def test_eks_hold_then_ready(eks: Any, kind: str) -> None:
    # Given a hold of two describes on a resource about to be created
    cluster = _name("held") if kind == "cluster" else _active_cluster(eks)
    name = cluster if kind == "cluster" else _name(kind)
    READINESS.hold(kind, name, 2)
    describe = _create_eks(eks, kind, cluster, name)
    # When it is described three times
    statuses = [describe()[0] for _ in range(3)]
    # Then it stays CREATING twice, then is ACTIVE
    assert statuses == ["CREATING", "CREATING", "ACTIVE"]


@pytest.mark.parametrize("kind", ["cluster", "nodegroup", "addon"])
def test_eks_hold_forever(eks: Any, kind: str) -> None:
    # Given a hold without end
    cluster = _name("held") if kind == "cluster" else _active_cluster(eks)
    name = cluster if kind == "cluster" else _name(kind)
    READINESS.hold(kind, name, None)
    describe = _create_eks(eks, kind, cluster, name)
    # When it is described five times
    statuses = {describe()[0] for _ in range(5)}
    # Then it is never ACTIVE
    assert statuses == {"CREATING"}


@pytest.mark.parametrize(
    ("kind", "failed", "code"),
    [
        ("cluster", "FAILED", "InternalFailure"),
        ("nodegroup", "CREATE_FAILED", "InternalFailure"),
        ("addon", "CREATE_FAILED", "InternalFailure"),
    ],
)
def test_eks_hold_then_fail(eks: Any, kind: str, failed: str, code: str) -> None:
    # Given a hold of one describe that ends in failure
    cluster = _name("held") if kind == "cluster" else _active_cluster(eks)
    name = cluster if kind == "cluster" else _name(kind)
    READINESS.hold(kind, name, 1, fail_reason="subnet ran out of addresses")
    describe = _create_eks(eks, kind, cluster, name)
    # When it is described twice
    first, second = describe(), describe()
    # Then it is CREATING, then failed with the reason in its health issues
    assert first[0] == "CREATING"
    assert second[0] == failed
    assert second[1]["issues"][0]["code"] == code
    assert second[1]["issues"][0]["message"] == "subnet ran out of addresses"


def _create_eks(eks: Any, kind: str, cluster: str, name: str) -> Callable[[], tuple[str, dict[str, Any]]]:
    if kind == "cluster":
        eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
        return lambda: _cluster_status(eks, name)
    if kind == "nodegroup":
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName=name, subnets=["subnet-1"], nodeRole=NODE_ROLE
        )

        def nodegroup() -> tuple[str, dict[str, Any]]:
            ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
            return ng["status"], ng.get("health", {})

        return nodegroup
    eks.create_addon(clusterName=cluster, addonName=name)

    def addon() -> tuple[str, dict[str, Any]]:
        found = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        return found["status"], found.get("health", {})

    return addon


def test_hold_rejects_unknown_kind() -> None:
    # When a hold names a kind that does not exist, Then it is refused at once
    with pytest.raises(ValueError, match="unknown kind"):
        READINESS.hold("job-queue", "x", 1)


# --------------------------------------------------------------------------------- Batch
def test_compute_environment_keeps_eks_configuration(eks: Any, batch: Any, network: dict[str, Any]) -> None:
    # Given an EKS cluster
    cluster = _active_cluster(eks)
    arn = eks.describe_cluster(name=cluster)["cluster"]["arn"]
    # When an EKS compute environment is created without serviceRole, and an ECS one
    eks_ce, ecs_ce = _name("ce-eks"), _name("ce-ecs")
    _create_ce(batch, network, eks_ce, eks_arn=arn)
    _create_ce(batch, network, ecs_ce)
    # Then the EKS one is described back with its eksConfiguration and orchestration type
    described = _ce_status(batch, eks_ce)
    assert described["eksConfiguration"] == {"eksClusterArn": arn, "kubernetesNamespace": "doeks-aws-batch"}
    assert described["containerOrchestrationType"] == "EKS"
    assert described["status"] == "VALID"
    assert "ecsClusterArn" not in described
    # And Batch's service-linked role stands in for the missing serviceRole
    assert described["serviceRole"] == BATCH_SLR
    # And the other is ECS
    assert _ce_status(batch, ecs_ce)["containerOrchestrationType"] == "ECS"


def test_compute_environment_hold_then_valid(batch: Any, network: dict[str, Any]) -> None:
    # Given a hold of two describes
    name = _name("ce")
    READINESS.hold("compute-environment", name, 2)
    _create_ce(batch, network, name)
    # When it is described three times
    statuses = [_ce_status(batch, name)["status"] for _ in range(3)]
    # Then it is CREATING, CREATING, then VALID
    assert statuses == ["CREATING", "CREATING", "VALID"]


def test_compute_environment_hold_forever(batch: Any, network: dict[str, Any]) -> None:
    # Given a hold without end
    name = _name("ce")
    READINESS.hold("compute-environment", name, None)
    _create_ce(batch, network, name)
    # When it is described five times, Then it is never VALID
    assert {_ce_status(batch, name)["status"] for _ in range(5)} == {"CREATING"}


def test_compute_environment_hold_then_invalid(batch: Any, network: dict[str, Any]) -> None:
    # Given a hold of one describe that ends in failure
    name = _name("ce")
    READINESS.hold("compute-environment", name, 1, fail_reason="CLIENT_ERROR - cluster unreachable")
    _create_ce(batch, network, name)
    # When it is described twice
    first, second = _ce_status(batch, name), _ce_status(batch, name)
    # Then it is CREATING, then INVALID with that statusReason (and stays so)
    assert first["status"] == "CREATING"
    assert (second["status"], second["statusReason"]) == ("INVALID", "CLIENT_ERROR - cluster unreachable")
    assert _ce_status(batch, name)["status"] == "INVALID"


def test_job_queue_keeps_time_limit_actions(eks: Any, batch: Any, network: dict[str, Any]) -> None:
    # Given an EKS compute environment
    cluster = _active_cluster(eks)
    arn = eks.describe_cluster(name=cluster)["cluster"]["arn"]
    ce = _name("ce")
    _create_ce(batch, network, ce, eks_arn=arn)
    actions = [
        {
            "reason": "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "state": "RUNNABLE",
            "maxTimeSeconds": 600,
            "action": "CANCEL",
        }
    ]
    # When a queue is created with jobStateTimeLimitActions
    queue = _name("jq")
    created = batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
        jobStateTimeLimitActions=actions,
    )
    # Then they are described back
    described = batch.describe_job_queues(jobQueues=[queue])["jobQueues"][0]
    assert described["jobStateTimeLimitActions"] == actions
    # And the queue resolves to the cluster and namespace of its EKS compute environment
    assert eks_namespace_for_queue(ACCOUNT, REGION, queue) == (arn, "doeks-aws-batch")
    assert eks_namespace_for_queue(ACCOUNT, REGION, created["jobQueueArn"]) == (arn, "doeks-aws-batch")


def test_queue_on_ecs_compute_environment_has_no_namespace(batch: Any, network: dict[str, Any]) -> None:
    # Given a queue on an ECS compute environment
    ce, queue = _name("ce"), _name("jq")
    _create_ce(batch, network, ce)
    batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
    )
    # When its EKS namespace is asked for, Then there is none (nor for an unknown queue)
    assert eks_namespace_for_queue(ACCOUNT, REGION, queue) is None
    assert eks_namespace_for_queue(ACCOUNT, REGION, "no-such-queue") is None


def test_job_definition_keeps_eks_properties(batch: Any) -> None:
    # Given the hello-world job definition of the design
    eks_properties = {
        "podProperties": {
            "containers": [
                {
                    "name": "application-hello",
                    "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
                    "command": ["/bin/sh", "-c", "sleep 30 && echo 'Hello World!'"],
                    "resources": {
                        "requests": {"cpu": "1", "memory": "1024Mi"},
                        "limits": {"cpu": "1", "memory": "1024Mi"},
                    },
                }
            ]
        }
    }
    retry = {
        "attempts": 3,
        "evaluateOnExit": [
            {"onStatusReason": "Host EC2*", "action": "RETRY"},
            {"onReason": "*", "action": "EXIT"},
        ],
    }
    name = _name("hello-world")
    # When it is registered
    batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        eksProperties=eks_properties,
        retryStrategy=retry,
        timeout={"attemptDurationSeconds": 600},
        tags={"owner": "control-plane"},
    )
    # Then every field is described back (the containers as sent, with Batch's defaults added)
    described = batch.describe_job_definitions(jobDefinitionName=name)["jobDefinitions"][0]
    (container,) = described["eksProperties"]["podProperties"]["containers"]
    sent = eks_properties["podProperties"]["containers"][0]
    assert {k: container[k] for k in sent} == sent  # moto adds env: [] as Batch does
    # Batch answers evaluateOnExit actions in lower case (they are case-insensitive); moto does too
    lowered = [{**rule, "action": rule["action"].lower()} for rule in retry["evaluateOnExit"]]
    assert described["retryStrategy"] == {**retry, "evaluateOnExit": lowered}
    assert described["timeout"] == {"attemptDurationSeconds": 600}
    assert described["tags"] == {"owner": "control-plane"}


# --------------------------------------------------------------------------------- validation
def test_eks_request_invalid_per_model_is_rejected(client: Callable[..., Any]) -> None:
    # Given a client that does not validate on its side
    raw = client("eks", validate=False)
    # When CreateAddon is sent without addonName, and with a wrong type
    with pytest.raises(ClientError) as missing:
        raw.create_addon(clusterName="any")
    with pytest.raises(ClientError) as wrong_type:
        raw.create_addon(clusterName="any", addonName="coredns", configurationValues=5)
    # Then the server answers 400 naming the field
    for err, fieldname in ((missing, "addonName"), (wrong_type, "configurationValues")):
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert _error_code(err) == "InvalidParameterException"
        assert fieldname in err.value.response["Error"]["Message"]


def test_batch_request_invalid_per_model_is_rejected(endpoint: str) -> None:
    # When CreateJobQueue is posted raw with a string priority and no jobQueueName
    response = requests.post(
        f"{endpoint}/v1/createjobqueue",
        json={"priority": "high", "computeEnvironmentOrder": []},
        headers={
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/batch/aws4_request, "
                "SignedHeaders=host, Signature=x"
            )
        },
        timeout=10,
    )
    # Then it gets a 400 naming both problems
    assert response.status_code == 400
    body = response.json()
    assert body["__type"] == "ClientException"
    assert "priority" in body["message"]
    assert "jobQueueName" in body["message"]


def test_eks_request_with_unknown_field_is_rejected(endpoint: str) -> None:
    # When CreateAddon is posted raw with a field the model does not know
    response = requests.post(
        f"{endpoint}/clusters/any/addons",
        json={"addonName": "coredns", "addonVerison": "v1"},
        headers={
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/eks/aws4_request, "
                "SignedHeaders=host, Signature=x"
            )
        },
        timeout=10,
    )
    # Then it gets a 400 naming the field
    assert response.status_code == 400
    assert "addonVerison" in response.json()["message"]
