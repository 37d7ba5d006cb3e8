"""Least privilege, checked against what the functions really do.

Every AWS call a function's handler makes in the embedded AWS is recorded
(:mod:`local.embedded_aws.call_recorder`) with the function's inline policies as deployed from
``template.yaml``. Here one run-job execution with tags is checked on its own; ``tests/conftest.py`` checks
every call of the whole session when it ends.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from local.embedded_aws.call_recorder import RecordedCall
from local.embedded_aws.server import EmbeddedAws
from tests.iam_policy import evaluate, required_permissions, violations
from tests.runs.run_job_support import run_job_world

BOUND = 30.0
ACCOUNT = "123456789012"
REGION = "us-east-1"


def tagged_submit(policies: dict[str, Any]) -> RecordedCall:
    return RecordedCall(
        function_name="stack-SubmitAndWaitFunction",
        logical_id="SubmitAndWaitFunction",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/stack-SubmitAndWaitFunctionRole",
        policies={name: json.dumps(document) for name, document in policies.items()},
        service="batch",
        iam_prefix="batch",
        operation="SubmitJob",
        params={
            "jobName": "hello",
            "jobQueue": "doeks-tests-JQ1_OD",
            "jobDefinition": "fast-1234:3",
            "tags": {"team": "data"},
        },
        region=REGION,
        account=ACCOUNT,
    )


SUBMIT_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SubmitToOurQueues",
            "Effect": "Allow",
            "Action": "batch:SubmitJob",
            "Resource": [
                f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/doeks-*",
                f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/*",
            ],
        }
    ],
}


def test_a_tagged_run_makes_only_calls_its_functions_policies_allow(aws: EmbeddedAws) -> None:
    # Given the control plane deployed with a READY environment and a fast job definition
    world = run_job_world(aws)
    already = len(aws.calls)
    # When a run with tags goes from submit to its log links
    job_name = f"policies-{uuid.uuid4().hex[:8]}"
    execution = world.start(
        {
            "jobName": job_name,
            "jobDefinition": world.job_definition("echo checked"),
            "tags": {"team": "data", "cost-centre": "1234"},
        }
    )
    description = world.wait(execution, BOUND)
    assert description["status"] == "SUCCEEDED", description
    assert aws.wait_idle(BOUND)
    calls = aws.calls[already:]
    # Then the calls were recorded per function, the tagged SubmitJob among them
    by_function = {call.logical_id for call in calls}
    assert {
        "ValidateRunFunction",
        "SubmitAndWaitFunction",
        "RecordJobEventFunction",
        "RunResultFunction",
    } <= by_function
    submits = [
        c
        for c in calls
        if c.action == "batch:SubmitJob" and str(c.params.get("jobName")).startswith(job_name)
    ]
    assert submits, [c.action for c in calls]
    assert submits[0].params["tags"]["team"] == "data"
    assert ("batch:TagResource", f"arn:aws:batch:{aws.region}:{aws.account}:job/*") in required_permissions(
        submits[0]
    )
    # And each of them is allowed by its function's policy from template.yaml
    assert violations(calls) == []


def test_calls_made_outside_handlers_are_not_recorded(aws: EmbeddedAws) -> None:
    already = len(aws.calls)
    aws.client("sqs").list_queues()
    assert len(aws.calls) == already


def test_a_tagged_submit_without_tag_resource_is_reported() -> None:
    # Given SubmitAndWait's policy without its TagSubmittedJobs statement
    call = tagged_submit({"SubmitAndWaitFunctionRolePolicy0": SUBMIT_ONLY})
    # When its tagged SubmitJob is checked
    found = violations([call])
    # Then the missing batch:TagResource is the one violation, named with the function and statements
    assert [(v.function, v.action, v.resource) for v in found] == [
        ("SubmitAndWaitFunction", "batch:TagResource", f"arn:aws:batch:{REGION}:{ACCOUNT}:job/*")
    ]
    assert found[0].statements == ("SubmitToOurQueues",)
    assert "batch:TagResource" in str(found[0])


def test_tag_resource_on_jobs_makes_the_tagged_submit_allowed() -> None:
    tag_jobs = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["batch:TagResource"],
                "Resource": f"arn:aws:batch:{REGION}:{ACCOUNT}:job/*",
            }
        ]
    }
    assert violations([tagged_submit({"a": SUBMIT_ONLY, "b": tag_jobs})]) == []


@pytest.mark.parametrize(
    ("statement", "action", "resource", "allowed"),
    [
        ({"Effect": "Allow", "Action": "batch:*", "Resource": "*"}, "batch:SubmitJob", "arn:x", True),
        ({"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*"}, "dynamodb:GetItem", "t", True),
        ({"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*"}, "dynamodb:PutItem", "t", False),
        ({"Effect": "Allow", "Action": "DynamoDB:getitem", "Resource": "t"}, "dynamodb:GetItem", "t", True),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:a/*"}, "s3:GetObject", "arn:a/b/c", True),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:a/*"}, "s3:GetObject", "arn:b/c", False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "sqs:SendMessage", "q", True),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "iam:PassRole", "r", False),
        (
            {"Effect": "Allow", "Action": "*", "NotResource": "arn:secret"},
            "s3:GetObject",
            "arn:secret",
            False,
        ),
        (
            {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:x": "true"}}},
            "s3:GetObject",
            "o",
            False,
        ),
    ],
)
def test_policy_evaluation(statement: dict[str, Any], action: str, resource: str, allowed: bool) -> None:
    assert evaluate([{"Statement": [statement]}], action, resource).allowed is allowed


def test_an_explicit_deny_wins() -> None:
    documents = [
        {"Statement": [{"Effect": "Allow", "Action": "batch:*", "Resource": "*"}]},
        {
            "Statement": {
                "Sid": "NoTerminate",
                "Effect": "Deny",
                "Action": "batch:Terminate*",
                "Resource": "*",
            }
        },
    ]
    decision = evaluate(documents, "batch:TerminateJob", "arn:aws:batch:r:a:job/1")
    assert not decision.allowed
    assert decision.denying == ("NoTerminate",)


BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/doeks-jobs/doeks-JobRoleBoundary"
JOB_ROLES = f"arn:aws:iam::{ACCOUNT}:role/doeks-jobs/*"
# The Kubernetes step's delegated role creation, as template.yaml grants it: CreateRole only with the
# boundary, policies attached only to roles that have it.
CREATE_JOB_ROLES = {
    "Statement": [
        {
            "Sid": "CreateJobRolesWithTheBoundary",
            "Effect": "Allow",
            "Action": ["iam:CreateRole"],
            "Resource": JOB_ROLES,
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}},
        },
        {
            "Sid": "AttachToBoundedJobRoles",
            "Effect": "Allow",
            "Action": ["iam:AttachRolePolicy"],
            "Resource": JOB_ROLES,
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}},
        },
    ]
}


def iam_call(operation: str, params: dict[str, Any]) -> RecordedCall:
    return RecordedCall(
        function_name="stack-KubernetesStepFunction",
        logical_id="KubernetesStepFunction",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/stack-KubernetesStepFunctionRole",
        policies={"KubernetesStepFunctionRolePolicy0": json.dumps(CREATE_JOB_ROLES)},
        service="iam",
        iam_prefix="iam",
        operation=operation,
        params=params,
        region=REGION,
        account=ACCOUNT,
    )


def test_a_job_role_created_without_the_boundary_is_reported() -> None:
    # Given a CreateRole of a job role (with its path) that names no permissions boundary
    call = iam_call("CreateRole", {"RoleName": "doeks-a-job", "Path": "/doeks-jobs/"})
    # When it is checked
    found = violations([call])
    # Then it is refused: the policy allows CreateRole only with the boundary, on the role's ARN with its path
    assert [(v.action, v.resource) for v in found] == [
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/doeks-jobs/doeks-a-job")
    ]


def test_a_job_role_created_with_another_boundary_is_reported() -> None:
    other = f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"
    call = iam_call(
        "CreateRole", {"RoleName": "doeks-a-job", "Path": "/doeks-jobs/", "PermissionsBoundary": other}
    )
    assert [v.action for v in violations([call])] == ["iam:CreateRole"]


def test_a_job_role_created_with_the_boundary_and_its_policies_are_allowed() -> None:
    # Given the role created with the boundary, then a policy attached to it by name
    created = iam_call(
        "CreateRole", {"RoleName": "doeks-a-job", "Path": "/doeks-jobs/", "PermissionsBoundary": BOUNDARY}
    )
    attached = iam_call(
        "AttachRolePolicy",
        {"RoleName": "doeks-a-job", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
    )
    # Then both are allowed: the attach is on the role's ARN with its path, and the role has the boundary
    assert violations([created, attached]) == []
    # And an attach to a role the control plane did not create with the boundary is not
    stray = iam_call(
        "AttachRolePolicy", {"RoleName": "someone-else", "PolicyArn": "arn:aws:iam::aws:policy/X"}
    )
    assert [v.action for v in violations([created, stray])] == ["iam:AttachRolePolicy"]
