"""Jobs do not run with the node's credentials: the hello-world job definition provisioning registers runs
off the host network with the service account ``aws-batch-job``, which EKS Pod Identity binds to the
environment's own job role; the compute environments' launch template requires IMDSv2 with a hop limit of 1,
so a pod off the host network cannot reach the node's metadata service. Each environment has its own role,
which trusts only its own cluster's service account, is capped by the stack's permissions boundary and has
the managed policies its ``jobPolicyArns`` names; teardown deletes it. Through the provision and teardown
state machines, with a real kube-apiserver (whose ServiceAccount admission refuses a pod naming a service
account that does not exist)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.client import KubeClient
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld, failure_cause

NAME = "doeks-identity"
NAMESPACE = "identity-jobs"
OTHER = "doeks-identity-b"
OTHER_NAMESPACE = "b-jobs"
SERVICE_ACCOUNT = "aws-batch-job"
JOB_ROLE_PATH = "/doeks-jobs/"
READ_RESULTS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::results/*"}],
}


@pytest.fixture(scope="module")
def world() -> Iterator[ProvisionWorld]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        world = ProvisionWorld(aws, aws.deploy())
        described = world.run("provision", {"name": NAME, "namespace": NAMESPACE})
        assert described["status"] == "SUCCEEDED", described.get("cause")
        # The other environment's jobs get a policy of the user's (a customer managed policy)
        policy = aws.client("iam").create_policy(
            PolicyName="read-results", PolicyDocument=json.dumps(READ_RESULTS)
        )
        described = world.run(
            "provision",
            {"name": OTHER, "namespace": OTHER_NAMESPACE, "jobPolicyArns": [policy["Policy"]["Arn"]]},
        )
        assert described["status"] == "SUCCEEDED", described.get("cause")
        yield world


def job_role(world: ProvisionWorld, environment: str) -> dict[str, Any]:
    return dict(world.aws.client("iam").get_role(RoleName=f"{environment}-job")["Role"])


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


@pytest.mark.parametrize(("environment", "namespace"), [(NAME, NAMESPACE), (OTHER, OTHER_NAMESPACE)])
def test_each_environments_service_account_gets_its_own_job_role(
    world: ProvisionWorld, environment: str, namespace: str
) -> None:
    # Then EKS Pod Identity binds the namespace's job service account to the environment's own role
    eks = world.aws.client("eks")
    listed = eks.list_pod_identity_associations(clusterName=environment, namespace=namespace)["associations"]
    ours = [a for a in listed if a["serviceAccount"] == SERVICE_ACCOUNT]
    assert len(ours) == 1
    association = eks.describe_pod_identity_association(
        clusterName=environment, associationId=ours[0]["associationId"]
    )
    role = job_role(world, environment)
    assert association["association"]["roleArn"] == role["Arn"]
    # And that role is under the stack's job-role path, capped by the stack's permissions boundary
    assert role["Path"] == JOB_ROLE_PATH
    assert role["Arn"] == f"arn:aws:iam::{world.aws.account}:role{JOB_ROLE_PATH}{environment}-job"
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == world.stack.outputs["JobRoleBoundaryArn"]
    assert {"Key": "batch-on-eks:environment", "Value": environment} in role["Tags"]
    # And it trusts EKS Pod Identity only, for this environment's cluster, namespace and service account
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": world.aws.account,
            "aws:RequestTag/eks-cluster-name": environment,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": SERVICE_ACCOUNT,
        }
    }


def test_the_users_policies_are_attached_to_their_environments_role_only(world: ProvisionWorld) -> None:
    iam = world.aws.client("iam")
    # Then the environment provisioned without jobPolicyArns has a role that grants nothing
    assert iam.list_attached_role_policies(RoleName=f"{NAME}-job")["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=f"{NAME}-job")["PolicyNames"] == []
    # And the other has the policy its jobPolicyArns named
    attached = iam.list_attached_role_policies(RoleName=f"{OTHER}-job")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["read-results"]


def test_the_stack_has_a_boundary_for_job_roles_and_no_stack_wide_job_role(world: ProvisionWorld) -> None:
    assert "JobRoleArn" not in world.stack.outputs
    boundary = world.stack.outputs["JobRoleBoundaryArn"]
    iam = world.aws.client("iam")
    policy = iam.get_policy(PolicyArn=boundary)["Policy"]
    document = iam.get_policy_version(PolicyArn=boundary, VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    # And the boundary never lets a job act on IAM (no role of its own making, no passing roles)
    assert any("iam:*" in (s.get("NotAction") or []) for s in document["Statement"])


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
uri = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
if uri:
    token = open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).read().strip()
    answer = get(uri, {"Authorization": token})
    if answer.startswith("{"):
        answer = json.loads(answer)
        print("pod-identity", answer["AccessKeyId"], answer["SecretAccessKey"], answer["Token"])
    else:
        print("pod-identity", answer)
else:
    print("pod-identity none")
"""


def ask_for_credentials(world: ProvisionWorld, environment: str) -> dict[str, str]:
    """Run the job above in ``environment`` through the run-job workflow; its lines, by first word."""
    # A job definition as the docs say to register one: off the host network, as aws-batch-job
    batch = world.aws.client("batch")
    batch.register_job_definition(
        jobDefinitionName=f"{environment}-ask-for-credentials",
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
    arn = world.aws.client("stepfunctions").start_execution(
        stateMachineArn=world.stack.outputs["RunJobStateMachineArn"],
        input=json.dumps(
            {
                "environment": environment,
                "jobName": "ask",
                "jobDefinition": f"{environment}-ask-for-credentials",
                "jobQueue": f"{environment}-JQ1_OD",
            }
        ),
    )["executionArn"]
    described = world.aws.wait_for_execution(arn, 120)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    links = json.loads(described["output"])["logLinks"]
    events = world.aws.client("logs").get_log_events(
        logGroupName=links["logGroup"], logStreamName=links["logStream"], startFromHead=True
    )["events"]
    return dict(json.loads(e["message"])["log"].rstrip("\n").split(" ", 1) for e in events)


def session_role(world: ProvisionWorld, line: str) -> str:
    """The role whose session the job's credentials are (the Arn GetCallerIdentity answers them)."""
    key, secret, token = line.split(" ")
    sts = boto3.client(
        "sts",
        region_name=world.aws.region,
        endpoint_url=world.aws.endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )
    caller = sts.get_caller_identity()["Arn"]
    return str(caller.split(":assumed-role/", 1)[1].split("/", 1)[0])


@pytest.mark.parametrize("environment", [NAME, OTHER])
def test_a_job_gets_its_own_environments_role_and_none_of_the_nodes(
    world: ProvisionWorld, environment: str
) -> None:
    # When a job in the environment asks the metadata service, then its pod identity
    lines = ask_for_credentials(world, environment)
    # Then the metadata service gave it nothing (the launch template's hop limit of 1)
    assert lines["imds"].startswith("ERROR"), lines
    # And its pod identity gave it a session of its own environment's job role
    assert session_role(world, lines["pod-identity"]) == f"{environment}-job"


def test_a_pod_associated_with_another_environments_role_gets_no_credentials(world: ProvisionWorld) -> None:
    # Given the first environment's job service account associated with the other environment's role
    eks = world.aws.client("eks")
    (ours,) = eks.list_pod_identity_associations(
        clusterName=NAME, namespace=NAMESPACE, serviceAccount=SERVICE_ACCOUNT
    )["associations"]
    eks.delete_pod_identity_association(clusterName=NAME, associationId=ours["associationId"])
    other_role = job_role(world, OTHER)["Arn"]
    swapped = eks.create_pod_identity_association(
        clusterName=NAME, namespace=NAMESPACE, serviceAccount=SERVICE_ACCOUNT, roleArn=other_role
    )["association"]
    try:
        # When a job there asks its pod identity
        lines = ask_for_credentials(world, NAME)
        # Then it gets no credentials: the other role trusts only its own cluster's pods
        assert lines["pod-identity"].startswith("ERROR"), lines
        assert lines["imds"].startswith("ERROR"), lines
    finally:
        eks.delete_pod_identity_association(clusterName=NAME, associationId=swapped["associationId"])
        eks.create_pod_identity_association(
            clusterName=NAME,
            namespace=NAMESPACE,
            serviceAccount=SERVICE_ACCOUNT,
            roleArn=job_role(world, NAME)["Arn"],
        )


def test_provisioning_again_keeps_the_role_and_teardown_deletes_it_with_its_policies(
    world: ProvisionWorld,
) -> None:
    # Given a third environment with a policy of the user's, and an inline policy the user added afterwards
    name = "doeks-identity-gone"
    before = world.inventory()
    iam = world.aws.client("iam")
    policy = iam.create_policy(PolicyName="gone-results", PolicyDocument=json.dumps(READ_RESULTS))["Policy"]
    described = world.run("provision", {"name": name, "jobPolicyArns": [policy["Arn"]]})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    role_arn = job_role(world, name)["Arn"]
    # When it is provisioned again (its role is there: a retried step) with one more policy
    more = iam.create_policy(PolicyName="more-results", PolicyDocument=json.dumps(READ_RESULTS))["Policy"]
    described = world.run("provision", {"name": name, "jobPolicyArns": [policy["Arn"], more["Arn"]]})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    # Then it keeps the same role, now with both policies
    assert job_role(world, name)["Arn"] == role_arn
    attached = iam.list_attached_role_policies(RoleName=f"{name}-job")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == ["gone-results", "more-results"]
    iam.put_role_policy(RoleName=f"{name}-job", PolicyName="added", PolicyDocument=json.dumps(READ_RESULTS))
    # Then the inventory lists its job role
    assert f"{JOB_ROLE_PATH}{name}-job" in world.inventory()["job roles"]
    # When it is torn down
    described = world.run("teardown", {"name": name})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    # Then its role is gone (the user's managed policy stays: it is the user's)
    with pytest.raises(ClientError) as gone:
        iam.get_role(RoleName=f"{name}-job")
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
    for kept in (policy, more):
        assert iam.get_policy(PolicyArn=kept["Arn"])["Policy"]["AttachmentCount"] == 0
    # And nothing of it is left
    assert world.inventory() == before


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


def test_a_job_policy_iam_does_not_have_fails_provisioning_naming_it_and_rolls_back(
    world: ProvisionWorld,
) -> None:
    # Given a well-formed ARN of a policy that does not exist
    name = "doeks-identity-nopolicy"
    before = world.inventory()
    missing = f"arn:aws:iam::{world.aws.account}:policy/not-there"
    # When an environment is provisioned with it
    described = world.run("provision", {"name": name, "jobPolicyArns": [missing]})
    # Then provisioning fails on the input, naming the field's item, and the rollback leaves nothing
    assert (described["status"], described["error"]) == ("FAILED", "InvalidInput"), described
    cause = failure_cause(described)
    assert cause["step"] == "grantBatchAccess"
    (problem,) = cause["reason"]["problems"]
    assert problem["field"] == "jobPolicyArns.0"
    assert missing in problem["rule"]
    record = world.environment(name) or {}
    assert record.get("rollbackExecutionArn"), record
    rollback = world.aws.wait_for_execution(str(record["rollbackExecutionArn"]), 180)
    assert rollback["status"] == "SUCCEEDED", rollback.get("cause")
    assert world.inventory() == before
