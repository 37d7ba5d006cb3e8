"""The provision workflow's input (models/environment_input.py): the samples in events/ are valid ones, and
the rules of the fields that decide who gets in and which Kubernetes version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.environment_input import ProvisionInput
from tests.conftest import REPO_ROOT

CONTEXT = {"resource_prefix": "doeks"}
SAMPLES = sorted((REPO_ROOT / "events").glob("provision-*.json"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_provision_inputs_are_valid(path: Path) -> None:
    # When a sample a person pastes into the console is read
    parsed = ProvisionInput.parse(json.loads(path.read_text()), context=CONTEXT)
    # Then it is valid, and leaves the Kubernetes version to provisioning (a version written here goes stale)
    assert parsed.name.startswith("doeks-")
    assert parsed.kubernetes_version is None


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:iam::123456789012:role/Admin",
        "arn:aws:iam::123456789012:role/teams/data/Admin",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws-us-gov:iam::123456789012:role/Admin",
    ],
)
def test_an_iam_role_or_user_may_be_a_cluster_admin(principal: str) -> None:
    parsed = ProvisionInput.parse(
        {"name": "doeks-x", "clusterAdminPrincipalArns": [principal]}, context=CONTEXT
    )
    assert parsed.cluster_admin_principal_arns == [principal]


@pytest.mark.parametrize(
    ("admins", "field"),
    [
        (["arn:aws:sts::123456789012:assumed-role/Admin/alice"], "clusterAdminPrincipalArns.0"),
        (["arn:aws:iam::123456789012:root"], "clusterAdminPrincipalArns.0"),
        (
            ["arn:aws:iam::123456789012:role/A", "arn:aws:iam::123456789012:role/A"],
            "clusterAdminPrincipalArns",
        ),
        ([f"arn:aws:iam::123456789012:role/r{i}" for i in range(21)], "clusterAdminPrincipalArns"),
    ],
    ids=["session", "root", "twice", "too-many"],
)
def test_other_cluster_admins_are_refused_naming_the_field(admins: list[str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ProvisionInput.parse({"name": "doeks-x", "clusterAdminPrincipalArns": admins}, context=CONTEXT)
    assert [p["field"] for p in refused.value.problems] == [field]


def test_a_version_batch_does_not_support_is_refused_before_asking_eks() -> None:
    with pytest.raises(InvalidInput) as refused:
        ProvisionInput.parse({"name": "doeks-x", "kubernetesVersion": "1.28"}, context=CONTEXT)
    [problem] = refused.value.problems
    assert problem["field"] == "kubernetesVersion"
    assert "AWS Batch supports" in problem["rule"]


def test_the_access_mode_defaults_to_the_blueprints_aws_auth() -> None:
    # When an input names no access mode
    parsed = ProvisionInput.parse({"name": "doeks-x"}, context=CONTEXT)
    # Then it is the blueprint's: aws-auth, carried in the workflow's config under its JSON name
    assert parsed.access_mode == "aws-auth"
    assert parsed.model_dump(by_alias=True)["accessMode"] == "aws-auth"
    # And batch-access-entry is the other one accepted
    entry = ProvisionInput.parse({"name": "doeks-x", "accessMode": "batch-access-entry"}, context=CONTEXT)
    assert entry.access_mode == "batch-access-entry"


@pytest.mark.parametrize("mode", ["API", "access-entry", "", 1])
def test_another_access_mode_is_refused_naming_the_field(mode: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        ProvisionInput.parse({"name": "doeks-x", "accessMode": mode}, context=CONTEXT)
    assert [p["field"] for p in refused.value.problems] == ["accessMode"]


@pytest.mark.parametrize(
    "policy",
    [
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole",
        "arn:aws:iam::123456789012:policy/teams/data/read-results",
        "arn:aws-cn:iam::123456789012:policy/read-results",
    ],
)
def test_a_managed_policy_may_be_given_to_the_environments_jobs(policy: str) -> None:
    parsed = ProvisionInput.parse({"name": "doeks-x", "jobPolicyArns": [policy]}, context=CONTEXT)
    assert parsed.job_policy_arns == [policy]


@pytest.mark.parametrize(
    ("policies", "field", "rule"),
    [
        (["arn:aws:iam::123456789012:role/Admin"], "jobPolicyArns.0", "managed policy ARN"),
        (["AmazonS3ReadOnlyAccess"], "jobPolicyArns.0", "managed policy ARN"),
        (["arn:aws:s3:::bucket"], "jobPolicyArns.0", "managed policy ARN"),
        (["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/A"], "jobPolicyArns", "each policy once"),
        ([f"arn:aws:iam::aws:policy/P{i}" for i in range(11)], "jobPolicyArns", "at most 10"),
        ("arn:aws:iam::aws:policy/A", "jobPolicyArns", "list"),
    ],
    ids=["a-role", "a-name", "another-service", "twice", "too-many", "not-a-list"],
)
def test_other_job_policies_are_refused_naming_the_field(policies: object, field: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ProvisionInput.parse({"name": "doeks-x", "jobPolicyArns": policies}, context=CONTEXT)
    assert [p["field"] for p in refused.value.problems] == [field]
    assert rule in refused.value.problems[0]["rule"], refused.value.problems
