"""Jobs do not run with the node's credentials: the hello-world job definition provisioning registers runs off
the host network with the service account ``aws-batch-job``, which EKS Pod Identity binds to the stack's job
role; the compute environments' launch template requires IMDSv2 with a hop limit of 1, so a pod off the
host network cannot reach the node's metadata service. Through the provision state machine, with a real
kube-apiserver (whose ServiceAccount admission refuses a pod naming a service account that does not exist)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.client import KubeClient
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld, failure_cause

NAME = "doeks-identity"
NAMESPACE = "identity-jobs"
SERVICE_ACCOUNT = "aws-batch-job"


@pytest.fixture(scope="module")
def world() -> Iterator[ProvisionWorld]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        world = ProvisionWorld(aws, aws.deploy())
        described = world.run("provision", {"name": NAME, "namespace": NAMESPACE})
        assert described["status"] == "SUCCEEDED", described.get("cause")
        yield world


def test_the_hello_world_runs_off_the_host_network_as_its_service_account(world: ProvisionWorld) -> None:
    # Then the job definition provisioning registered names no host network and the job service account
    batch = world.aws.client("batch")
    definition = batch.describe_job_definitions(jobDefinitionName=f"{NAME}-hello-world", status="ACTIVE")
    pod = definition["jobDefinitions"][0]["eksProperties"]["podProperties"]
    assert pod["hostNetwork"] is False
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    assert pod["dnsPolicy"] == "ClusterFirst"
    # And that service account exists in the Batch namespace
    eks = world.aws.client("eks")
    assert world.aws.kubernetes is not None
    cluster = world.aws.kubernetes.cluster_by_arn(eks.describe_cluster(name=NAME)["cluster"]["arn"])
    assert cluster is not None
    path = f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{SERVICE_ACCOUNT}"
    assert KubeClient(cluster).get_or_none(path) is not None


def test_the_service_account_gets_the_job_role_through_pod_identity(world: ProvisionWorld) -> None:
    # Then EKS Pod Identity binds the namespace's job service account to the stack's job role
    eks = world.aws.client("eks")
    listed = eks.list_pod_identity_associations(clusterName=NAME, namespace=NAMESPACE)["associations"]
    ours = [a for a in listed if a["serviceAccount"] == SERVICE_ACCOUNT]
    assert len(ours) == 1
    association = eks.describe_pod_identity_association(
        clusterName=NAME, associationId=ours[0]["associationId"]
    )
    job_role = world.stack.outputs["JobRoleArn"]
    assert association["association"]["roleArn"] == job_role
    # And the job role trusts EKS Pod Identity only, for that service account, and grants nothing by itself
    iam = world.aws.client("iam")
    role_name = job_role.rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    conditions = statement["Condition"]["StringEquals"]
    assert conditions["aws:RequestTag/kubernetes-service-account"] == SERVICE_ACCOUNT
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []


def test_the_compute_environments_launch_template_requires_imdsv2_with_hop_limit_1(
    world: ProvisionWorld,
) -> None:
    batch, ec2 = world.aws.client("batch"), world.aws.client("ec2")
    ces = batch.describe_compute_environments(computeEnvironments=[f"{NAME}-CE1_OD", f"{NAME}-CE1_SPOT"])
    for ce in ces["computeEnvironments"]:
        # Then each compute environment launches its nodes from the stack's launch template
        launch_template = ce["computeResources"]["launchTemplate"]
        assert launch_template["launchTemplateId"] == world.stack.outputs["BatchLaunchTemplateId"]
        # And that template requires IMDSv2 tokens, which travel one hop: the node, not its pods
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=launch_template["launchTemplateId"], Versions=[launch_template["version"]]
        )["LaunchTemplateVersions"]
        options = versions[0]["LaunchTemplateData"]["MetadataOptions"]
        assert options["HttpTokens"] == "required"
        assert options["HttpPutResponseHopLimit"] == 1


def test_a_run_of_the_hello_world_succeeds_as_its_service_account(world: ProvisionWorld) -> None:
    # When the hello-world runs through the run-job workflow
    sfn = world.aws.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps(
            {
                "environment": NAME,
                "jobName": "hello",
                "jobDefinition": f"{NAME}-hello-world",
                "jobQueue": f"{NAME}-JQ1_OD",
            }
        ),
    )["executionArn"]
    described = world.aws.wait_for_execution(arn, 120)
    # Then it succeeds: the API server admitted its pod, which names the service account
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert world.aws.kubernetes is not None
    cluster_arn = world.aws.client("eks").describe_cluster(name=NAME)["cluster"]["arn"]
    pod_name = json.loads(described["output"])["podName"]
    created = [
        r
        for r in world.aws.kubernetes.audit_log(cluster_arn)
        if r["verb"] == "create"
        and (r.get("objectRef") or {}).get("name") == pod_name
        and r["responseStatus"]["code"] == 201
    ]
    assert len(created) == 1


# A job that asks the node's metadata service (IMDSv2) and then its pod identity, as the SDK would.
ASK_FOR_CREDENTIALS = r"""
import json, os, urllib.request
def get(url, headers, method="GET"):
    try:
        request = urllib.request.Request(url, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=3) as r:
            return r.read().decode()
    except Exception as error:
        return f"ERROR {type(error).__name__}"
ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
print("imds", get("http://169.254.169.254/latest/api/token", ttl, "PUT"))
token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read().strip()
answer = json.loads(get(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], {"Authorization": token}))
print("pod-identity", answer["AccessKeyId"], answer["SecretAccessKey"], answer["Token"])
"""


def test_a_job_gets_its_pod_identitys_credentials_and_none_of_the_nodes(world: ProvisionWorld) -> None:
    # Given a job definition as the docs say to register one: off the host network, as aws-batch-job
    batch = world.aws.client("batch")
    batch.register_job_definition(
        jobDefinitionName="ask-for-credentials",
        type="container",
        eksProperties={
            "podProperties": {
                "hostNetwork": False,
                "serviceAccountName": SERVICE_ACCOUNT,
                "containers": [
                    {
                        "name": "application",
                        "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
                        "command": ["python3", "-c", ASK_FOR_CREDENTIALS],
                        "resources": {"limits": {"cpu": "1", "memory": "1024Mi"}},
                    }
                ],
            }
        },
    )
    # When it runs through the run-job workflow
    arn = world.aws.client("stepfunctions").start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps(
            {
                "environment": NAME,
                "jobName": "ask",
                "jobDefinition": "ask-for-credentials",
                "jobQueue": f"{NAME}-JQ1_OD",
            }
        ),
    )["executionArn"]
    described = world.aws.wait_for_execution(arn, 120)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    links = json.loads(described["output"])["logLinks"]
    events = world.aws.client("logs").get_log_events(
        logGroupName=links["logGroup"], logStreamName=links["logStream"], startFromHead=True
    )["events"]
    lines = dict(json.loads(e["message"])["log"].rstrip("\n").split(" ", 1) for e in events)
    # Then the metadata service gave it nothing (the launch template's hop limit of 1)
    assert lines["imds"].startswith("ERROR"), lines
    # And its pod identity gave it a session of the job role
    key, secret, token = lines["pod-identity"].split(" ")
    sts = boto3.client("sts", aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
    caller = sts.get_caller_identity()["Arn"]
    job_role_name = world.stack.outputs["JobRoleArn"].rsplit("/", 1)[-1]
    assert f":assumed-role/{job_role_name}/" in caller


def test_switching_an_environments_access_mode_is_refused_and_changes_nothing(world: ProvisionWorld) -> None:
    # Given the environment, provisioned in the default access mode (aws-auth: an API_AND_CONFIG_MAP cluster)
    before = world.inventory()
    # When it is provisioned again in the other mode
    arn = world.start("provision", {"name": NAME, "namespace": NAMESPACE, "accessMode": "batch-access-entry"})
    described = world.aws.wait_for_execution(arn)
    # Then provisioning refuses at once, naming the field and the cluster's mode, before touching anything
    assert (described["status"], described["error"]) == ("FAILED", "InvalidInput")
    (problem,) = failure_cause(described)["problems"]
    assert problem["field"] == "accessMode"
    assert "API_AND_CONFIG_MAP" in problem["rule"]
    assert world.entered(arn) == ["Begin", "ReadInputError", "InputRefused"]
    assert world.inventory() == before
    # And the environment is still READY (no rollback tore it down)
    assert (world.environment(NAME) or {}).get("status") == "READY"
