"""The README's quick start and the user docs name stack outputs and template parameters: each must exist in
template.yaml, so that a renamed output cannot leave people following instructions that no longer match
`sam deploy`. The events they document are the ones the template's rules match, and samconfig.toml holds
the defaults the quick start promises."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from batch_on_eks.models import control_plane_events as events
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
# The user docs' sections that name outputs, parameters and events, by title.
DOCUMENTS = {
    "Quick start on AWS (`sam deploy`)": REPO_ROOT / "README.md",
    "Start runs from EventBridge": REPO_ROOT / "docs" / "runs.md",
    "Deploy-time provisioning and `sam delete`": REPO_ROOT / "docs" / "deployment.md",
}
# A CamelCase name in inline code (`HelloWorldSpotCommand`): how the README writes outputs and parameters.
_CODE_NAME = re.compile(r"`([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)`")
# Names=values in a `--parameter-overrides` argument list, or in the prose (`ResourcePrefix=doeks`).
_OVERRIDE = re.compile(r"\b([A-Z][A-Za-z0-9]+)=")
# CamelCase names those sections use that are not the template's: AWS's own words, and the runs' named
# errors (the ``Error`` of a failed execution, README "Run a job").
AWS_WORDS = {"EventId", "DependsOn", "ResponseURL"}
RUN_ERRORS = {"InvalidInput", "BatchJobFailed", "JobCancelled", "JobTimedOut", "JobStuckRunnable"}


def section(title: str) -> str:
    """The ``## <title>`` section of the document that has it, up to the next ``## `` or the end."""
    text = DOCUMENTS[title].read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    assert match is not None, f"{DOCUMENTS[title].name} has no section '## {title}'"
    return match.group(1)


QUICK_START = section("Quick start on AWS (`sam deploy`)")


def test_every_name_in_the_quick_start_is_an_output_or_a_parameter(template: dict[str, Any]) -> None:
    # Given the names the quick start writes as code, and the parameters it overrides
    named = set(_CODE_NAME.findall(QUICK_START))
    overridden = set(_OVERRIDE.findall(QUICK_START))
    # When they are looked up in template.yaml
    outputs, parameters = set(template["Outputs"]), set(template["Parameters"])
    # Then each named one is an output or a parameter, and each overridden one a parameter
    assert named, "the quick start names no output"
    assert named - outputs - parameters == set()
    assert overridden, "the quick start overrides no parameter"
    assert overridden - parameters == set()


def test_the_quick_start_names_the_outputs_a_user_needs_after_sam_deploy(template: dict[str, Any]) -> None:
    # Given the quick start
    named = set(_CODE_NAME.findall(QUICK_START))
    # Then it names the provisioning, the kubeconfig command, the hello-world commands and the console links
    for output in (
        "BlueprintProvisioningExecutionArn",
        "UpdateKubeconfigCommand",
        "HelloWorldOnDemandCommand",
        "HelloWorldSpotCommand",
        "RunJobStateMachineConsoleUrl",
        "ProvisionEnvironmentStateMachineConsoleUrl",
    ):
        assert output in named, output
        assert output in template["Outputs"], output


@pytest.mark.parametrize(
    "title", ["Start runs from EventBridge", "Deploy-time provisioning and `sam delete`"]
)
def test_the_outputs_and_parameters_named_in_the_event_and_lifecycle_sections_exist(
    template: dict[str, Any], title: str
) -> None:
    text = section(title)
    known = set(template["Outputs"]) | set(template["Parameters"]) | set(template["Resources"])
    known |= AWS_WORDS | RUN_ERRORS
    # Then every CamelCase name in code there is the template's (an output, a parameter or a resource)
    assert set(_CODE_NAME.findall(text)) - known == set()
    assert set(_OVERRIDE.findall(text)) - set(template["Parameters"]) == set()


def test_the_documented_events_are_the_ones_the_rules_match_and_the_code_publishes(
    template: dict[str, Any],
) -> None:
    # Given the README's EventBridge section and the template's rule for run requests
    text = section("Start runs from EventBridge")
    pattern = template["Resources"]["StartRequestedRunFunction"]["Properties"]["Events"]["RunJobRequested"][
        "Properties"
    ]["Pattern"]
    # Then the rule matches the documented source and detail-type, which the code names too
    assert pattern["source"] == [events.RUN_REQUEST_SOURCE]
    assert pattern["detail-type"] == [events.RUN_REQUEST_DETAIL_TYPE]
    for documented in (
        events.RUN_REQUEST_SOURCE,
        events.RUN_REQUEST_DETAIL_TYPE,
        events.RUN_FINISHED_SOURCE,
        events.RUN_FINISHED_DETAIL_TYPE,
    ):
        assert f"`{documented}`" in text, documented
    # And the example command in the stack's outputs puts exactly that event
    command = template["Outputs"]["RunJobRequestedEventCommand"]["Value"]["Fn::Sub"]
    assert f'"Source":"{events.RUN_REQUEST_SOURCE}"' in command
    assert f'"DetailType":"{events.RUN_REQUEST_DETAIL_TYPE}"' in command


def test_samconfig_holds_the_defaults_the_quick_start_promises(template: dict[str, Any]) -> None:
    # Given samconfig.toml
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text(encoding="utf-8"))["default"]
    deploy = config["deploy"]["parameters"]
    # Then sam deploy goes to us-east-1, as stack batch-on-eks, with both capabilities and an S3 bucket
    assert config["global"]["parameters"]["stack_name"] == "batch-on-eks"
    assert deploy["region"] == "us-east-1"
    assert set(deploy["capabilities"].split()) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}
    assert deploy["resolve_s3"] is True
    # And its parameter overrides are template parameters, with the values the quick start says
    overrides = dict(re.findall(r'(\w+)="([^"]*)"', deploy["parameter_overrides"]))
    assert set(overrides) <= set(template["Parameters"])
    assert overrides == {
        "ResourcePrefix": "doeks",
        "ProvisionBlueprintOnDeploy": "true",
        "TeardownEnvironmentsOnDelete": "true",
    }
    assert "us-east-1" in QUICK_START
    assert "batch-on-eks" in QUICK_START


def test_the_readme_stays_short_and_every_link_in_the_docs_leads_somewhere() -> None:
    # Given the README and the docs
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    # Then the README stays under 200 lines (detail goes to docs/, with a link)
    assert len(README.splitlines()) < 200
    # And every relative link names a file that exists, and an anchor a heading of it
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]*)(#[^)\s]*)?\)", page.read_text(encoding="utf-8")):
            path, anchor = target
            if path.startswith(("http://", "https://")):
                continue
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: link to {path}"
            if anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.MULTILINE)
                slugs = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
                assert anchor[1:] in slugs, f"{page.name}: anchor {anchor} in {linked.name}"
