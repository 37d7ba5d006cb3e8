"""The provision and teardown workflows, end to end in the embedded AWS with the real handlers
(poll interval 0), a real kube-apiserver behind each EKS cluster."""

from __future__ import annotations

import json

import pytest

from batch_on_eks.runs.log_links import application_log_group, stream_prefix
from local.dataplane.container_logs import addon_pipeline
from local.kubernetes.client import KubeClient
from tests.environments.provision_support import ProvisionWorld, failure_cause

NAME = "doeks-aws-batch"
ADDONS = {
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
    "amazon-cloudwatch-observability",
}


@pytest.fixture(scope="module")
def baseline(world: ProvisionWorld) -> dict[str, list[str]]:
    """Everything there is before any environment exists."""
    return world.inventory()


@pytest.fixture(scope="module")
def provisioned(world: ProvisionWorld, baseline: dict[str, list[str]]) -> dict[str, object]:
    """The blueprint's environment, provisioned with nothing but its name (and poll interval 0)."""
    description = world.run("provision", {"name": NAME})
    assert description["status"] == "SUCCEEDED", description.get("cause")
    return dict(json.loads(description["output"]))


def test_provisioning_gives_the_blueprints_outputs(
    world: ProvisionWorld, provisioned: dict[str, object]
) -> None:
    # Then the output gives what the blueprint's Terraform outputs gave
    assert provisioned["status"] == "READY"
    assert (
        provisioned["updateKubeconfigCommand"]
        == f"aws eks --region us-east-1 update-kubeconfig --name {NAME}"
    )
    assert provisioned["jobQueues"] == {"onDemand": f"{NAME}-JQ1_OD", "spot": f"{NAME}-JQ1_SPOT"}
    commands = provisioned["helloWorldCommands"]
    assert isinstance(commands, dict)
    run_job_arn = world.stack.outputs["RunJobStateMachineArn"]
    for role, queue in (("onDemand", f"{NAME}-JQ1_OD"), ("spot", f"{NAME}-JQ1_SPOT")):
        assert commands[role].startswith(
            f"aws stepfunctions start-execution --region us-east-1 --state-machine-arn {run_job_arn} "
        )
        assert f'"jobQueue":"{queue}"' in commands[role]
    # And the environments table has it READY, with its timeline and resources
    record = world.environment(NAME)
    assert record is not None
    assert record["status"] == "READY"
    steps = [entry["step"] for entry in record["timeline"]]
    for step in (
        "provisioning",
        "checkCluster",
        "grantClusterAdmin",
        "checkNodegroup",
        "checkAddons",
        "grantBatchAccess",
        "checkComputeEnvironment",
        "createJobQueues",
        "registerJobDefinition",
        "ready",
    ):
        assert step in steps
    resources = record["resources"]
    assert resources["clusterArn"].endswith(f":cluster/{NAME}")
    assert resources["onDemandComputeEnvironmentArn"].endswith(f":compute-environment/{NAME}-CE1_OD")
    assert resources["spotComputeEnvironmentArn"].endswith(f":compute-environment/{NAME}-CE1_SPOT")
    assert record["jobQueues"] == resources["jobQueues"]
    assert record["outputs"]["jobQueues"] == provisioned["jobQueues"]


def test_the_cluster_is_the_blueprints(world: ProvisionWorld, provisioned: dict[str, object]) -> None:
    eks = world.aws.client("eks")
    cluster = eks.describe_cluster(name=NAME)["cluster"]
    # Then: API_AND_CONFIG_MAP, public and private endpoint, the stack's role and private subnets
    assert cluster["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is True
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    # On the tests' day (2026-12-06) the newest version in standard support, with extended support off
    assert (cluster["version"], cluster["upgradePolicy"]) == ("1.36", {"supportType": "STANDARD"})
    assert cluster["roleArn"] == world.stack.outputs["EksClusterRoleArn"]
    assert cluster["tags"]["batch-on-eks:environment"] == NAME
    # And the Kubernetes step's role has cluster admin through an access entry
    principal = world.stack.attribute("KubernetesStepFunctionRole", "Arn")
    assert principal in eks.list_access_entries(clusterName=NAME)["accessEntries"]
    policies = eks.list_associated_access_policies(clusterName=NAME, principalArn=principal)[
        "associatedAccessPolicies"
    ]
    assert [p["policyArn"].rsplit("/", 1)[-1] for p in policies] == ["AmazonEKSClusterAdminPolicy"]
    assert policies[0]["accessScope"]["type"] == "cluster"
    # And the node group: AL2023, m5.large, 2 nodes
    group = eks.describe_nodegroup(clusterName=NAME, nodegroupName="core-node-group")["nodegroup"]
    assert group["status"] == "ACTIVE"
    assert group["instanceTypes"] == ["m5.large"]
    assert group["scalingConfig"]["desiredSize"] == 2
    assert group["nodeRole"] == world.stack.outputs["EksNodeRoleArn"]
    # And its two instances joined the cluster as Nodes (what `kubectl get nodes` shows)
    assert world.aws.kubernetes is not None
    local_cluster = world.aws.kubernetes.cluster_by_arn(cluster["arn"])
    assert local_cluster is not None
    nodes = KubeClient(local_cluster).get(
        "/api/v1/nodes?labelSelector=eks.amazonaws.com/nodegroup=core-node-group"
    )
    assert len(nodes["items"]) == 2
    # And the six add-ons, the CloudWatch one with container logs on and the batch-node toleration
    assert set(eks.list_addons(clusterName=NAME)["addons"]) == ADDONS
    observability = eks.describe_addon(clusterName=NAME, addonName="amazon-cloudwatch-observability")["addon"]
    config = json.loads(observability["configurationValues"])
    assert config["containerLogs"]["enabled"] is True
    assert {"key": "batch.amazonaws.com/batch-node", "operator": "Exists"} in config["tolerations"]
    associations = eks.list_pod_identity_associations(clusterName=NAME)["associations"]
    assert {(a["namespace"], a["serviceAccount"]) for a in associations} >= {
        ("kube-system", "ebs-csi-controller-sa"),
        ("amazon-cloudwatch", "cloudwatch-agent"),
    }
    # And the Container Insights log groups exist with a retention
    groups = world.aws.client("logs").describe_log_groups(
        logGroupNamePrefix=f"/aws/containerinsights/{NAME}/"
    )
    assert {g["logGroupName"].rsplit("/", 1)[-1]: g.get("retentionInDays") for g in groups["logGroups"]} == {
        "application": 30,
        "dataplane": 30,
        "host": 30,
        "performance": 30,
    }


def test_the_cloudwatch_add_on_runs_the_log_pipeline_the_log_links_rely_on(
    world: ProvisionWorld, provisioned: dict[str, object]
) -> None:
    # Given the CloudWatch observability add-on's configuration, as provisioned
    addon = world.aws.client("eks").describe_addon(
        clusterName=NAME, addonName="amazon-cloudwatch-observability"
    )
    config = json.loads(addon["addon"]["configurationValues"])
    # Then it pins Fluent Bit's container-log pipeline itself (whatever the add-on version's default)
    assert "application-log.conf" in config["containerLogs"]["fluentBit"]["config"]["extraFiles"]
    # And that pipeline puts a container's lines in the group and under the stream prefix the run's log
    # links look for
    pipeline = addon_pipeline(addon["addon"]["configurationValues"])
    assert pipeline is not None
    node, pod, container = "ip-10-1-2-3.ec2.internal", "aws-batch.p", "app"
    group, stream = pipeline.place(
        {"CLUSTER_NAME": NAME, "HOST_NAME": node}, f"{pod}_doeks-aws-batch_{container}-0123.log"
    )
    assert group == application_log_group(NAME)
    assert stream == stream_prefix(node, pod, "doeks-aws-batch", container) + "0123.log"


def test_batch_resources_are_the_blueprints(world: ProvisionWorld, provisioned: dict[str, object]) -> None:
    batch = world.aws.client("batch")
    cluster_arn = world.aws.client("eks").describe_cluster(name=NAME)["cluster"]["arn"]
    ces = {
        ce["computeEnvironmentName"]: ce
        for ce in batch.describe_compute_environments(
            computeEnvironments=[f"{NAME}-CE1_OD", f"{NAME}-CE1_SPOT"]
        )["computeEnvironments"]
    }
    # Then both compute environments are VALID, in the Batch namespace, with the stack's instance profile
    for name, kind, strategy in (
        (f"{NAME}-CE1_OD", "EC2", "BEST_FIT_PROGRESSIVE"),
        (f"{NAME}-CE1_SPOT", "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED"),
    ):
        ce = ces[name]
        assert ce["status"] == "VALID"
        assert ce["eksConfiguration"] == {
            "eksClusterArn": cluster_arn,
            "kubernetesNamespace": "doeks-aws-batch",
            # the default access mode, aws-auth: Batch told explicitly to keep no entry of its own
            "accessEntry": {"desiredState": "DISABLED", "status": "INACTIVE"},
        }
        resources = ce["computeResources"]
        assert (resources["type"], resources["allocationStrategy"]) == (kind, strategy)
        assert (resources["minvCpus"], resources["maxvCpus"], resources["instanceTypes"]) == (
            0,
            256,
            ["optimal"],
        )
        assert resources["instanceRole"] == world.stack.outputs["BatchInstanceProfileArn"]
        # The cluster security group (the managed nodes' and the control plane's) and the stack's node group
        assert resources["securityGroupIds"] == [
            world.aws.client("eks").describe_cluster(name=NAME)["cluster"]["resourcesVpcConfig"][
                "clusterSecurityGroupId"
            ],
            world.stack.outputs["NodeSecurityGroupId"],
        ]
        # And the nodes run the cluster's Kubernetes version
        assert resources["ec2Configuration"] == [
            {"imageType": "EKS_AL2023", "imageKubernetesVersion": "1.36"}
        ]
    # And the queues cancel jobs stuck RUNNABLE on capacity or misconfiguration
    queues = batch.describe_job_queues(jobQueues=[f"{NAME}-JQ1_OD", f"{NAME}-JQ1_SPOT"])["jobQueues"]
    assert len(queues) == 2
    for queue in queues:
        assert queue["priority"] == 1
        actions = queue["jobStateTimeLimitActions"]
        assert {a["reason"] for a in actions} == {
            "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
            "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
        }
        assert {(a["state"], a["action"]) for a in actions} == {("RUNNABLE", "CANCEL")}
    # And the hello-world job definition retries a reclaimed Spot host, nothing else
    [definition] = batch.describe_job_definitions(jobDefinitionName=f"{NAME}-hello-world", status="ACTIVE")[
        "jobDefinitions"
    ]
    container = definition["eksProperties"]["podProperties"]["containers"][0]
    assert container["name"] == "application-hello"
    assert container["command"] == ["/bin/sh", "-c", "sleep 30 && echo 'Hello World!'"]
    first_rule = definition["retryStrategy"]["evaluateOnExit"][0]
    assert (first_rule["onStatusReason"], first_rule["action"].upper()) == ("Host EC2*", "RETRY")
    # And Batch's service-linked role exists
    world.aws.client("iam").get_role(RoleName="AWSServiceRoleForBatch")


def test_a_second_provision_converges(world: ProvisionWorld, provisioned: dict[str, object]) -> None:
    # Given the environment, READY
    before = world.inventory()
    # When it is provisioned again
    description = world.run("provision", {"name": NAME})
    # Then it succeeds, and nothing is duplicated (no new job definition revision either)
    assert description["status"] == "SUCCEEDED", description.get("cause")
    assert world.inventory() == before
    assert json.loads(description["output"]) == provisioned


def test_addon_versions_are_recorded_and_reused_when_eks_moves_its_defaults(
    world: ProvisionWorld, provisioned: dict[str, object]
) -> None:
    eks = world.aws.client("eks")
    # Given the environment: each add-on's version is recorded, and is EKS's default for the cluster's 1.36
    record = world.environment(NAME)
    assert record is not None
    recorded = record["resources"]["addonVersions"]
    assert recorded == {
        addon: eks.describe_addon(clusterName=NAME, addonName=addon)["addon"]["addonVersion"]
        for addon in ADDONS
    }
    assert recorded["kube-proxy"] == "v1.36.0-eksbuild.1"
    # When EKS publishes a new default coredns, a person deletes the environment's coredns, and the
    # environment is provisioned again
    world.aws.addon_catalog.publish("coredns", "v1.13.0-eksbuild.1")
    eks.delete_addon(clusterName=NAME, addonName="coredns")
    description = world.run("provision", {"name": NAME})
    # Then coredns is back at the recorded version, not the new default, and the record is unchanged
    assert description["status"] == "SUCCEEDED", description.get("cause")
    coredns = eks.describe_addon(clusterName=NAME, addonName="coredns")["addon"]
    assert coredns["addonVersion"] == recorded["coredns"] != "v1.13.0-eksbuild.1"
    again = world.environment(NAME)
    assert again is not None
    assert again["resources"]["addonVersions"] == recorded


def test_a_run_on_an_environment_being_provisioned_fails_at_once(
    world: ProvisionWorld, provisioned: object
) -> None:
    # Given an environment whose cluster is still being created
    world.aws.readiness.hold("cluster", "doeks-not-ready", describes=None)
    provisioning = world.start(
        "provision", {"name": "doeks-not-ready", "pollIntervalSeconds": 1, "maxChecks": 1000}
    )
    world.wait_until_held("doeks-not-ready", provisioning)
    # When a run targets it
    run = world.aws.client("stepfunctions").start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps({"environment": "doeks-not-ready", "jobName": "too-early"}),
    )
    # Then the run fails at once with EnvironmentNotReady
    description = world.aws.wait_for_execution(run["executionArn"])
    assert (description["status"], description["error"]) == ("FAILED", "EnvironmentNotReady")
    # And when that provisioning is stopped, a teardown takes the environment over and removes it
    world.aws.client("stepfunctions").stop_execution(executionArn=provisioning)
    assert world.aws.wait_for_execution(provisioning)["status"] == "ABORTED"
    world.aws.readiness.reset()
    teardown = world.run("teardown", {"name": "doeks-not-ready"})
    assert teardown["status"] == "SUCCEEDED", teardown.get("cause")


def test_teardown_removes_everything_and_converges(
    world: ProvisionWorld, provisioned: dict[str, object], baseline: dict[str, list[str]]
) -> None:
    # When the environment is torn down
    description = world.run("teardown", {"name": NAME})
    # Then everything provisioning made is gone: every resource list is as before
    assert description["status"] == "SUCCEEDED", description.get("cause")
    assert world.inventory() == baseline
    record = world.environment(NAME)
    assert record is not None
    assert record["status"] == "DELETED"
    # And the stack's IAM stays
    world.aws.client("iam").get_role(RoleName=world.stack.outputs["EksClusterRoleArn"].rsplit("/", 1)[-1])
    # And a second teardown succeeds too
    again = world.run("teardown", {"name": NAME})
    assert again["status"] == "SUCCEEDED", again.get("cause")
    assert world.inventory() == baseline


@pytest.mark.parametrize(
    ("execution_input", "field"),
    [
        ({"name": "other-aws-batch"}, "name"),
        ({"name": "doeks-Bad_Name"}, "name"),
        ({}, "name"),
        ({"name": "doeks-x", "namespace": "Not A Label"}, "namespace"),
        ({"name": "doeks-x", "namespace": "kube-system"}, "namespace"),
        ({"name": "doeks-x", "kubernetesVersion": "1.30"}, "kubernetesVersion"),  # past extended support
        ({"name": "doeks-x", "kubernetesVersion": "1.99"}, "kubernetesVersion"),  # listed by neither
        ({"name": "doeks-x", "allowExtendedSupport": "yes"}, "allowExtendedSupport"),
        ({"name": "doeks-x", "clusterAdminPrincipalArns": ["me@example.com"]}, "clusterAdminPrincipalArns.0"),
        (
            {"name": "doeks-x", "clusterAdminPrincipalArns": "arn:aws:iam::123456789012:role/A"},
            "clusterAdminPrincipalArns",
        ),
        ({"name": "doeks-x", "nodeGroup": {"desiredSize": 5, "maxSize": 3}}, "nodeGroup"),
        ({"name": "doeks-x", "nodeGroup": {"instanceType": "large"}}, "nodeGroup.instanceType"),
        ({"name": "doeks-x", "maxVcpus": 0}, "maxVcpus"),
        ({"name": "doeks-x", "instanceTypes": []}, "instanceTypes"),
        ({"name": "doeks-x", "pollIntervalSeconds": -1}, "pollIntervalSeconds"),
        ({"name": "doeks-x", "unknown": 1}, "unknown"),
    ],
)
def test_bad_input_fails_fast_naming_the_field(
    world: ProvisionWorld, baseline: dict[str, list[str]], execution_input: dict[str, object], field: str
) -> None:
    before = world.inventory()
    # When provisioning is started with a bad input
    arn = world.start("provision", execution_input)
    description = world.aws.wait_for_execution(arn)
    # Then it fails with InvalidInput naming the field, before anything is created
    assert (description["status"], description["error"]) == ("FAILED", "InvalidInput")
    assert field in [p["field"] for p in failure_cause(description)["problems"]]
    assert world.entered(arn) == ["Begin", "ReadInputError", "InputRefused"]
    assert world.inventory() == before
