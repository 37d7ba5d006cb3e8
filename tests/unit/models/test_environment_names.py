"""The names of an environment's resources that have limits of their own: its job role (IAM's 64 characters
for a role name, where an environment's name may have 100)."""

from __future__ import annotations

import pytest

from batch_on_eks.models.environment_names import job_role_name, job_role_path


def test_a_job_role_is_named_after_its_environment_under_the_stacks_path() -> None:
    assert job_role_name("doeks-aws-batch") == "doeks-aws-batch-job"
    assert job_role_path("doeks") == "/doeks-jobs/"


@pytest.mark.parametrize("length", [60, 61, 64, 100])
def test_a_long_environment_name_gets_a_role_name_within_iams_64_characters(length: int) -> None:
    # Given an environment whose name leaves no room for "-job" within IAM's 64 characters
    name = "doeks-" + "a" * (length - 6)
    role = job_role_name(name)
    # Then its role's name fits, starts with as much of the environment's name as can, ends in -job
    assert len(role) <= 64
    assert role.endswith("-job")
    assert role.startswith(name[:40])


def test_long_names_that_share_a_beginning_get_different_roles() -> None:
    # A truncated name alone would give two environments one role: a hash of the whole name tells them apart
    first, second = "doeks-" + "a" * 90 + "-one", "doeks-" + "a" * 90 + "-two"
    assert job_role_name(first) != job_role_name(second)
    # And the same name always gets the same role (a retried step, a teardown, find it again)
    assert job_role_name(first) == job_role_name(first)


def test_a_name_that_fits_is_kept_whole() -> None:
    name = "doeks-" + "a" * 54  # 60 characters, 64 with -job
    assert job_role_name(name) == f"{name}-job"
