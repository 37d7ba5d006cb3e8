"""The stack's custom resources, through their handler (AnswerCustomResourceFunction) in the embedded
AWS, each request answered as CloudFormation expects: JSON PUT to the request's ResponseURL (served
locally)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws
from tests.runs.batch_env import create_batch_on_eks, register_environment
from tests.stack.support import send_request, teardown_properties

PROVISIONING = "Custom::BlueprintProvisioning"
TEARDOWN = "Custom::EnvironmentsTeardown"


@pytest.fixture(scope="module")
def stack(aws: EmbeddedAws) -> Stack:
    return aws.deploy(parameters={"LifecyclePollIntervalSeconds": "0"})


def provisioning_properties(stack: Stack, environment: str) -> dict[str, str]:
    return {
        "EnvironmentName": environment,
        "ProvisionStateMachineArn": stack.outputs["ProvisionEnvironmentStateMachineArn"],
        "PollIntervalSeconds": "0",
    }


def executions(aws: EmbeddedAws, state_machine_arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = aws.client("stepfunctions").list_executions(
        stateMachineArn=state_machine_arn
    )["executions"]
    return found


def assert_answers(body: dict[str, Any], request: dict[str, Any], status: str) -> None:
    """The fields CloudFormation matches an answer to its request by, and the status."""
    assert body["Status"] == status, body
    assert body["StackId"] == request["StackId"]
    assert body["RequestId"] == request["RequestId"]
    assert body["LogicalResourceId"] == request["LogicalResourceId"]
    assert body["PhysicalResourceId"]
    assert body["Reason"]


# -- Custom::BlueprintProvisioning --------------------------------------------------------------------------
def test_create_starts_provisioning_and_answers_success_with_the_execution(
    aws: EmbeddedAws, stack: Stack
) -> None:
    # Given the deployed stack (deployed with the provisioning off, as the embedded AWS does by default), and
    # an environment name the provision workflow itself refuses, so that it creates nothing here (the
    # deploy-time provisioning of a real environment is tests/stack/test_lifecycle.py's)
    provision = stack.outputs["ProvisionEnvironmentStateMachineArn"]
    properties = provisioning_properties(stack, "doeks-NOT-VALID")
    # When CloudFormation sends Create, and then sends the same request again (a retry)
    first = send_request(aws, stack, "Create", PROVISIONING, properties)
    again = send_request(
        aws, stack, "Create", PROVISIONING, properties, request_id=first.request["RequestId"]
    )
    # Then the answer is SUCCESS at once, its physical id and data the provisioning execution's ARN
    assert_answers(first.body, first.request, "SUCCESS")
    execution = first.body["PhysicalResourceId"]
    assert execution == provision.replace(":stateMachine:", ":execution:") + (
        f":stack-create-{first.request['RequestId']}"
    )
    assert first.body["Data"] == {"ExecutionArn": execution, "EnvironmentName": "doeks-NOT-VALID"}
    # And it was PUT with no content type, as S3's presigned URL wants
    assert first.content_type == ""
    # And the execution was given the environment, and how often to check, as its input
    sfn = aws.client("stepfunctions")
    assert json.loads(sfn.describe_execution(executionArn=execution)["input"]) == {
        "name": "doeks-NOT-VALID",
        "pollIntervalSeconds": 0,
    }
    # And the retried request started nothing new
    assert again.body["PhysicalResourceId"] == execution
    assert [e["executionArn"] for e in executions(aws, provision)].count(execution) == 1
    assert aws.wait_for_execution(execution)["error"] == "InvalidInput"


def test_update_and_delete_of_the_provisioning_change_nothing(aws: EmbeddedAws, stack: Stack) -> None:
    # Given a provisioning resource created earlier (its physical id is its execution)
    provision = stack.outputs["ProvisionEnvironmentStateMachineArn"]
    physical = provision.replace(":stateMachine:", ":execution:") + ":stack-create-earlier"
    before = len(executions(aws, provision))
    # When CloudFormation sends Update, then Delete
    updated = send_request(
        aws, stack, "Update", PROVISIONING, provisioning_properties(stack, "doeks-cfn"), physical
    )
    deleted = send_request(
        aws, stack, "Delete", PROVISIONING, provisioning_properties(stack, "doeks-cfn"), physical
    )
    # Then both answer SUCCESS with the same physical id (no replacement), Update with the same data
    assert_answers(updated.body, updated.request, "SUCCESS")
    assert updated.body["PhysicalResourceId"] == physical
    assert updated.body["Data"]["ExecutionArn"] == physical
    assert_answers(deleted.body, deleted.request, "SUCCESS")
    assert deleted.body["PhysicalResourceId"] == physical
    # And no execution was started
    assert len(executions(aws, provision)) == before


def test_create_with_bad_properties_answers_failed_with_why(aws: EmbeddedAws, stack: Stack) -> None:
    # Given properties that break a rule (a poll interval that is not a number of seconds)
    properties = {**provisioning_properties(stack, "doeks-cfn"), "PollIntervalSeconds": "soon"}
    # When CloudFormation sends Create
    answered = send_request(aws, stack, "Create", PROVISIONING, properties)
    # Then the answer is FAILED, saying which property and why, and nothing was started
    assert_answers(answered.body, answered.request, "FAILED")
    assert "PollIntervalSeconds must be an integer from 0 to 600 (got 'soon')" in answered.body["Reason"]
    assert answered.body["PhysicalResourceId"] == "TestResource-not-created"


def test_an_unknown_resource_type_answers_failed(aws: EmbeddedAws, stack: Stack) -> None:
    # When the function is asked for a resource type it does not serve
    answered = send_request(aws, stack, "Create", "Custom::Something", {})
    # Then the answer is FAILED, naming the types it serves
    assert_answers(answered.body, answered.request, "FAILED")
    assert "Custom::BlueprintProvisioning" in answered.body["Reason"]


# -- Custom::EnvironmentsTeardown ---------------------------------------------------------------------------
def test_create_and_update_of_the_teardown_resource_answer_success(aws: EmbeddedAws, stack: Stack) -> None:
    # When CloudFormation sends Create and Update
    created = send_request(aws, stack, "Create", TEARDOWN, teardown_properties(stack))
    updated = send_request(
        aws, stack, "Update", TEARDOWN, teardown_properties(stack), created.body["PhysicalResourceId"]
    )
    # Then both answer SUCCESS at once, with one physical id
    assert_answers(created.body, created.request, "SUCCESS")
    assert_answers(updated.body, updated.request, "SUCCESS")
    assert (
        created.body["PhysicalResourceId"]
        == updated.body["PhysicalResourceId"]
        == stack.ref("EnvironmentsTeardownOnDelete")
    )


def test_delete_refused_when_teardown_on_delete_is_off_names_environments_and_commands(
    aws: EmbeddedAws, stack: Stack
) -> None:
    # Given an environment that exists (READY)
    table = stack.outputs["EnvironmentsTableName"]
    env = create_batch_on_eks("doeks-kept-JQ1_OD", cluster_name="doeks-kept")
    register_environment(table, "doeks-kept", env)
    # When the stack is deleted with TeardownEnvironmentsOnDelete 'false'
    answered = send_request(
        aws,
        stack,
        "Delete",
        TEARDOWN,
        teardown_properties(stack, "false"),
        stack.ref("EnvironmentsTeardownOnDelete"),
    )
    # Then the answer is FAILED, naming the environment, its status, and the command that removes it
    assert_answers(answered.body, answered.request, "FAILED")
    reason = answered.body["Reason"]
    assert "doeks-kept (READY)" in reason
    teardown = stack.outputs["TeardownEnvironmentStateMachineArn"]
    assert (
        f"aws stepfunctions start-execution --region us-east-1 --state-machine-arn {teardown} "
        """--input '{"name":"doeks-kept"}'"""
    ) in reason
    # And nothing was torn down
    assert executions(aws, teardown) == []
    boto3.resource("dynamodb").Table(table).delete_item(Key={"name": "doeks-kept"})  # for the next tests


def test_delete_with_no_environments_answers_success_at_once(aws: EmbeddedAws, stack: Stack) -> None:
    # Given no environment but DELETED ones
    table = boto3.resource("dynamodb").Table(stack.outputs["EnvironmentsTableName"])
    table.put_item(Item={"name": "doeks-old", "status": "DELETED", "namespace": "doeks-aws-batch"})
    # When CloudFormation sends Delete
    answered = send_request(
        aws, stack, "Delete", TEARDOWN, teardown_properties(stack), stack.ref("EnvironmentsTeardownOnDelete")
    )
    # Then the answer is SUCCESS, and no workflow ran
    assert_answers(answered.body, answered.request, "SUCCESS")
    assert answered.body["Reason"] == "no environments to remove"
    assert executions(aws, stack.outputs["TeardownEnvironmentStateMachineArn"]) == []


def test_delete_whose_teardown_fails_answers_failed_naming_the_environment_and_why(
    aws: EmbeddedAws, stack: Stack
) -> None:
    # Given an environment whose job queue someone made by hand (not tagged as the environment's)
    table = stack.outputs["EnvironmentsTableName"]
    env = create_batch_on_eks("doeks-foreign-JQ1_OD", cluster_name="doeks-foreign")
    register_environment(table, "doeks-foreign", env)
    # When CloudFormation sends Delete
    answered = send_request(
        aws, stack, "Delete", TEARDOWN, teardown_properties(stack), stack.ref("EnvironmentsTeardownOnDelete")
    )
    # Then the answer, sent by the stack-teardown workflow once the teardown ended, is FAILED, and says
    # which environment is left, its teardown execution and AWS's reason
    assert_answers(answered.body, answered.request, "FAILED")
    reason = answered.body["Reason"]
    assert "doeks-foreign is FAILED" in reason
    assert "ResourceNotOwned" in reason
    assert ":execution:doeks-teardown-environment:stack-delete-" in reason
    # And the stack-teardown execution ended failed, naming what is left
    (execution,) = executions(aws, stack.ref("StackTeardownStateMachine"))
    description = aws.wait_for_execution(execution["executionArn"])
    assert description["status"] == "FAILED"
    assert description["error"] == "EnvironmentsLeft"
    boto3.resource("dynamodb").Table(table).delete_item(Key={"name": "doeks-foreign"})
