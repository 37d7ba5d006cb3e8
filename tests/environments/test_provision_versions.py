"""Which Kubernetes version provisioning gives an environment, on the day EKS's calendar says it is: the
newest one EKS has in standard support and Batch supports, with EKS's upgrade policy STANDARD; a version
in extended support only with the opt-in (policy EXTENDED, a warning, the extended rate); never one past
it, or one EKS does not list. The compute environments' nodes run the cluster's version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld, failure_cause

# 1.35 is in standard support from 2026-01-27 to 2027-03-27; EKS released 1.36 later (2026-06-01 in the
# embedded calendar) and keeps it in standard support to 2027-08-01.
INSIDE_135_STANDARD_SUPPORT = date(2026, 3, 1)
AFTER_135_STANDARD_SUPPORT = date(2027, 4, 15)


@pytest.fixture(scope="module")
def world() -> Iterator[ProvisionWorld]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as aws:
        yield ProvisionWorld(aws, aws.deploy())


@pytest.fixture(autouse=True)
def _back_to_the_tests_day(world: ProvisionWorld) -> Iterator[None]:
    yield
    world.aws.set_today(TODAY)


def _node_versions(world: ProvisionWorld, name: str) -> set[str]:
    ces = world.aws.client("batch").describe_compute_environments(
        computeEnvironments=[f"{name}-CE1_OD", f"{name}-CE1_SPOT"]
    )["computeEnvironments"]
    assert len(ces) == 2
    return {
        config["imageKubernetesVersion"]
        for ce in ces
        for config in ce["computeResources"]["ec2Configuration"]
    }


def _provisioned(world: ProvisionWorld, execution_input: dict[str, Any]) -> dict[str, Any]:
    description = world.run("provision", execution_input)
    assert description["status"] == "SUCCEEDED", description.get("cause")
    return dict(json.loads(description["output"]))


@pytest.mark.parametrize(
    ("today", "name", "expected"),
    [
        (INSIDE_135_STANDARD_SUPPORT, "doeks-inside-135", "1.35"),
        (AFTER_135_STANDARD_SUPPORT, "doeks-after-135", "1.36"),
    ],
)
def test_the_default_is_the_newest_version_in_standard_support(
    world: ProvisionWorld, today: date, name: str, expected: str
) -> None:
    # Given the day EKS's calendar says it is
    world.aws.set_today(today)
    # When an environment is provisioned with no version asked for
    outputs = _provisioned(world, {"name": name})
    # Then its cluster runs the newest version in standard support, with extended support off
    cluster = world.aws.client("eks").describe_cluster(name=name)["cluster"]
    assert cluster["version"] == expected
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    # And both compute environments' nodes run that version
    assert _node_versions(world, name) == {expected}
    # And the outputs say which version it got and its standard rate
    assert (outputs["kubernetesVersion"], outputs["upgradePolicy"]) == (expected, "STANDARD")
    assert "$0.10 per cluster hour" in outputs["controlPlaneCost"]
    assert outputs["warnings"] == []


def test_a_version_in_extended_support_needs_the_opt_in(world: ProvisionWorld) -> None:
    before = world.inventory()
    # When 1.34, in extended support since 2026-12-02, is asked for without the opt-in
    refused = world.run("provision", {"name": "doeks-no-opt-in", "kubernetesVersion": "1.34"})
    # Then provisioning is refused naming the field, and nothing was created
    assert (refused["status"], refused["error"]) == ("FAILED", "InvalidInput")
    problems = failure_cause(refused)["problems"]
    assert [p["field"] for p in problems] == ["kubernetesVersion"]
    assert "allowExtendedSupport" in problems[0]["rule"]
    assert world.inventory() == before


def test_with_the_opt_in_a_version_in_extended_support_is_kept_from_upgrades(world: ProvisionWorld) -> None:
    # When 1.34 is asked for with the opt-in
    outputs = _provisioned(
        world, {"name": "doeks-extended", "kubernetesVersion": "1.34", "allowExtendedSupport": True}
    )
    # Then the cluster runs 1.34 with the EXTENDED policy (EKS does not upgrade it underneath), its nodes too
    cluster = world.aws.client("eks").describe_cluster(name="doeks-extended")["cluster"]
    assert (cluster["version"], cluster["upgradePolicy"]) == ("1.34", {"supportType": "EXTENDED"})
    assert _node_versions(world, "doeks-extended") == {"1.34"}
    # And the outputs warn, and state the extended rate
    assert outputs["upgradePolicy"] == "EXTENDED"
    assert "$0.60 per cluster hour" in outputs["controlPlaneCost"]
    assert any("extended support" in warning for warning in outputs["warnings"])


@pytest.mark.parametrize(
    "version",
    [
        "1.31",  # past its extended support (2026-11-26)
        "1.40",  # not listed by EKS, nor supported by Batch
    ],
)
def test_a_version_eks_does_not_offer_is_refused_naming_the_field(
    world: ProvisionWorld, version: str
) -> None:
    before = world.inventory()
    # When it is asked for, even with the opt-in
    refused = world.run(
        "provision", {"name": "doeks-refused", "kubernetesVersion": version, "allowExtendedSupport": True}
    )
    # Then provisioning fails at once with InvalidInput naming kubernetesVersion; nothing was created
    assert (refused["status"], refused["error"]) == ("FAILED", "InvalidInput")
    assert [p["field"] for p in failure_cause(refused)["problems"]] == ["kubernetesVersion"]
    assert world.entered(refused["executionArn"]) == ["Begin", "ReadInputError", "InputRefused"]
    assert world.inventory() == before
