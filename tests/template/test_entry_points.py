"""What template.yaml promises about the event entry points and the stack's lifecycle: the order
in which `sam delete` removes things, the rules' delivery guarantees, least-privilege policies, and what the
parameters switch on and off."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from local.embedded_aws.deploy.template import TranslatedStack, translate
from local.embedded_aws.event_bus import target_input
from tests.conftest import REPO_ROOT
from tests.template.support import as_created

TEARDOWN_RESOURCE = "EnvironmentsTeardownOnDelete"
NEW_FUNCTIONS = ["StartRequestedRunFunction", "AnswerCustomResourceFunction", "StackTeardownStepFunction"]


@pytest.fixture(scope="module")
def translated() -> TranslatedStack:
    """The template after the SAM transform (Globals applied), as CloudFormation sees it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # SAM's translator builds ARNs for a region
        return translate(REPO_ROOT / "template.yaml")


def _needed_by(translated: TranslatedStack, logical_id: str) -> set[str]:
    """Everything ``logical_id`` depends on, directly or not: CloudFormation deletes those after it."""
    found: set[str] = set()
    pending = [logical_id]
    while pending:
        for dependency in translated.dependencies(pending.pop()):
            if dependency not in found:
                found.add(dependency)
                pending.append(dependency)
    return found


# -- sam delete: the order ----------------------------------------------------------------------------------
def test_the_network_and_the_tables_are_deleted_after_the_environments_teardown(
    translated: TranslatedStack,
) -> None:
    # Given what the teardown resource depends on: CloudFormation deletes all of it after the resource
    needed = _needed_by(translated, TEARDOWN_RESOURCE)
    # When the network's resources and the tables are looked at
    network = {
        name
        for name, resource in translated.resources.items()
        if resource["Type"].startswith("AWS::EC2::") or resource["Type"] == "AWS::DynamoDB::Table"
    }
    # Then each one is among it: none goes while a cluster may still run in the network
    assert {"NatGateway", "PrivateDefaultRoute", "InternetGateway", "NodeSecurityGroupSelfIngress"} <= network
    assert sorted(network - needed) == []
    # And none of them depends on the teardown resource (which would delete it first)
    for name in network:
        assert TEARDOWN_RESOURCE not in translated.dependencies(name), name
    # And there is no cycle: CloudFormation (and the embedded AWS) can order every resource
    assert len(translated.creation_order()) == len(translated.resources)
    # And the deploy-time provisioning starts after it, so after the whole network
    assert TEARDOWN_RESOURCE in translated.dependencies("BlueprintOnDeploy")


def test_the_teardown_machinery_outlives_the_teardown_resource(translated: TranslatedStack) -> None:
    # Given what the teardown resource needs
    needed = _needed_by(translated, TEARDOWN_RESOURCE)
    # Then the workflows that tear environments down, their functions and roles are among it: CloudFormation
    # cannot delete them while the teardown runs
    for name in (
        "AnswerCustomResourceFunction",
        "StackTeardownStateMachine",
        "StackTeardownStepFunction",
        "TeardownEnvironmentStateMachine",
        "EnvironmentRecordStepFunction",
        "EksStepFunction",
        "BatchStepFunction",
        "KubernetesStepFunction",
        "KubernetesStepFunctionRole",
        "ProvisionEnvironmentStateMachine",
        "EnvironmentsTable",
    ):
        assert name in needed, name


def test_the_teardown_resource_waits_up_to_an_hour_and_gets_its_switch(resources: dict[str, Any]) -> None:
    properties = resources[TEARDOWN_RESOURCE]["Properties"]
    assert resources[TEARDOWN_RESOURCE]["Type"] == "Custom::EnvironmentsTeardown"
    assert properties["ServiceTimeout"] == 3600
    assert properties["TeardownEnvironmentsOnDelete"] == {"Ref": "TeardownEnvironmentsOnDelete"}
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["AnswerCustomResourceFunction", "Arn"]}


# -- delivery: retries and dead letters --------------------------------------------------------------------
def test_event_targets_retry_and_keep_what_they_cannot_deliver(resources: dict[str, Any]) -> None:
    queue = {"Fn::GetAtt": ["UndeliveredEventsQueue", "Arn"]}
    # Given the run-request rule (SAM) and the schedule rule (plain CloudFormation)
    rule = resources["StartRequestedRunFunction"]["Properties"]["Events"]["RunJobRequested"]["Properties"]
    (schedule_target,) = resources["ScheduledRunRule"]["Properties"]["Targets"]
    # Then both retry delivery and send what they cannot deliver to the alarmed queue
    for target in (rule, schedule_target):
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert target["DeadLetterConfig"]["Arn"] == queue
    # And the functions EventBridge and CloudFormation invoke asynchronously send failures there too
    for name in ("StartRequestedRunFunction", "AnswerCustomResourceFunction", "RunEndedFunction"):
        on_failure = resources[name]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert on_failure["Destination"] == queue, name


def test_every_ending_of_a_run_reaches_the_abort_guard(resources: dict[str, Any]) -> None:
    pattern = resources["RunEndedFunction"]["Properties"]["Events"]["RunExecutionEnded"]["Properties"][
        "Pattern"
    ]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "RunJobStateMachine"}]


# -- least privilege ----------------------------------------------------------------------------------------
def _statements(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resource["Properties"]["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


@pytest.mark.parametrize("name", NEW_FUNCTIONS)
def test_new_functions_have_named_resource_scoped_statements(resources: dict[str, Any], name: str) -> None:
    statements = _statements(resources[name])
    assert statements
    for statement in statements:
        assert statement.get("Sid"), statement
        assert statement["Resource"] != "*", statement["Sid"]


def test_the_run_finished_event_goes_to_the_default_bus_only(resources: dict[str, Any]) -> None:
    (publish,) = [s for s in _statements(resources["RunEndedFunction"]) if "events:PutEvents" in s["Action"]]
    assert publish["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
    }


# -- what the parameters switch ----------------------------------------------------------------------------
def test_by_default_the_blueprint_is_provisioned_and_nothing_is_scheduled(template: dict[str, Any]) -> None:
    _, created = as_created(template, {})
    assert {"BlueprintOnDeploy", TEARDOWN_RESOURCE} <= created
    assert not {"ScheduledRunRule", "ScheduledRunPermission"} & created
    # And the provisioning's parameter says what the environment costs, where, and that prices change
    description = template["Parameters"]["ProvisionBlueprintOnDeploy"]["Description"]
    for fact in ("$0.10/h", "$0.192/h", "$0.045/h", "us-east-1", "prices change"):
        assert fact in description, fact


def test_provisioning_on_deploy_can_be_turned_off(template: dict[str, Any]) -> None:
    _, created = as_created(template, {"ProvisionBlueprintOnDeploy": "false"})
    assert "BlueprintOnDeploy" not in created
    assert TEARDOWN_RESOURCE in created  # sam delete still never leaves a cluster behind


@pytest.mark.parametrize(
    ("overrides", "expected_detail"),
    [
        ({}, {"environment": "doeks-aws-batch", "jobName": "scheduled"}),
        (
            {"ScheduledEnvironment": "doeks-nightly", "ScheduledJobDefinition": "report:3"},
            {"environment": "doeks-nightly", "jobName": "scheduled", "jobDefinition": "report:3"},
        ),
    ],
)
def test_a_schedule_runs_the_chosen_job_definition_on_the_chosen_environment(
    template: dict[str, Any], overrides: dict[str, str], expected_detail: dict[str, str]
) -> None:
    # Given a schedule
    intrinsics, created = as_created(template, {"ScheduleExpression": "rate(1 day)", **overrides})
    assert {"ScheduledRunRule", "ScheduledRunPermission"} <= created
    (target,) = intrinsics.resolve(template["Resources"]["ScheduledRunRule"]["Properties"]["Targets"])
    # When a tick's Scheduled Event goes through the target's input transformer
    tick = {"id": "tick-1", "time": "2025-01-01T06:00:00Z", "source": "aws.events", "detail": {}}
    handed = target_input(target, tick, "arn:rule", "rule")
    # Then the function gets the tick's id and the run-job input for the chosen environment and definition
    assert handed == {
        "id": "tick-1",
        "time": "2025-01-01T06:00:00Z",
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "detail": expected_detail,
    }
    json.dumps(handed)  # and it is plain JSON
