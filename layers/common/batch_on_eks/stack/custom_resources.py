"""The stack's two custom resources, answered for CloudFormation.

- ``Custom::BlueprintProvisioning`` (unless ``ProvisionBlueprintOnDeploy`` is 'false'): on Create, start
  the provision workflow for ``<ResourcePrefix>-aws-batch`` and answer SUCCESS at once, with the execution
  ARN as its physical id and data (the cluster takes longer than CloudFormation should wait). Update and
  Delete change nothing: the environments' fate at deletion is the other resource's job.
- ``Custom::EnvironmentsTeardown``: on Delete of the stack, every environment that is not DELETED is torn
  down before CloudFormation goes on to the network and the tables. The teardown outlasts a Lambda's 15
  minutes, so the stack-teardown workflow waits for it and answers; this function only starts it. With
  ``TeardownEnvironmentsOnDelete`` 'false', Delete answers FAILED instead, listing the environments and
  the command that removes each. Create and Update change nothing.

Every request ends in exactly one answer (SUCCESS or FAILED): an unanswered request leaves CloudFormation
waiting for an hour. The resources' properties arrive as strings, as CloudFormation sends them.
"""

from __future__ import annotations

import json
from typing import Any

from batch_on_eks.aws import cloudformation, executions
from batch_on_eks.aws.environments_table import EnvironmentStore, EnvironmentSummary
from batch_on_eks.clock import now_ms
from batch_on_eks.models.custom_resource import CustomResourceRequest, RequestType
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.settings import Settings

BLUEPRINT_PROVISIONING = "Custom::BlueprintProvisioning"
ENVIRONMENTS_TEARDOWN = "Custom::EnvironmentsTeardown"

# CloudFormation waits at most an hour (ServiceTimeout 3600) for an answer: the workflow answers FAILED
# before that, naming what still runs, so that the stack's events say why rather than "timed out".
ANSWER_WITHIN_SECONDS = 55 * 60

# The stack statuses in which a Delete request means the stack is going away. In any other status (an
# update that replaced the resource, or an update's rollback removing one it had added) a Delete request
# is CloudFormation's cleanup, and the environments must stay.
_STACK_GOING_AWAY = frozenset({"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"})


def answer_custom_resource(request: CustomResourceRequest, settings: Settings) -> dict[str, Any]:
    """Answer ``request`` (now, or through the stack-teardown workflow); returns what was done."""
    try:
        answer, outcome = _dispatch(request, settings)
    except Exception as error:  # whatever failed, CloudFormation must hear it
        physical = request.physical_resource_id or f"{request.logical_resource_id}-not-created"
        answer = request.response("FAILED", physical, f"{type(error).__name__}: {error}")
        outcome = {"answered": "FAILED", "reason": answer["Reason"]}
    if answer is not None:
        cloudformation.send_response(request.response_url, answer)
    return outcome


def _dispatch(
    request: CustomResourceRequest, settings: Settings
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if request.resource_type == BLUEPRINT_PROVISIONING:
        return _blueprint_provisioning(request)
    if request.resource_type == ENVIRONMENTS_TEARDOWN:
        return _environments_teardown(request, settings)
    raise ValueError(
        f"unknown resource type {request.resource_type!r}: this function serves "
        f"{BLUEPRINT_PROVISIONING} and {ENVIRONMENTS_TEARDOWN}"
    )


def _required(request: CustomResourceRequest, name: str) -> str:
    value = request.prop(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"property {name} is required (the template sets it)")
    return value


def _poll_interval(request: CustomResourceRequest) -> int:
    text = str(request.prop("PollIntervalSeconds", "30"))
    if not text.isdigit() or not 0 <= int(text) <= 600:
        raise ValueError(f"property PollIntervalSeconds must be an integer from 0 to 600 (got {text!r})")
    return int(text)


# -- Custom::BlueprintProvisioning ----------------------------------------------------------------------
def _blueprint_provisioning(request: CustomResourceRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    environment = _required(request, "EnvironmentName")
    if request.request_type is not RequestType.CREATE:
        # Update or Delete: nothing to change; the physical id is the execution that Create started.
        physical = request.physical_resource_id or f"{request.logical_resource_id}-not-created"
        data = {"ExecutionArn": physical, "EnvironmentName": environment}
        return request.response("SUCCESS", physical, data=data), {"answered": "SUCCESS", "changed": False}
    started = executions.start(
        _required(request, "ProvisionStateMachineArn"),
        f"stack-create-{request.request_id}"[:80],  # CloudFormation's retry of the request starts nothing new
        {"name": environment, "pollIntervalSeconds": _poll_interval(request)},
    )
    reason = f"provisioning {environment}: {started.execution_arn}"
    data = {"ExecutionArn": started.execution_arn, "EnvironmentName": environment}
    answer = request.response("SUCCESS", started.execution_arn, reason, data)
    return answer, {"answered": "SUCCESS", "executionArn": started.execution_arn}


# -- Custom::EnvironmentsTeardown -----------------------------------------------------------------------
def _environments_teardown(
    request: CustomResourceRequest, settings: Settings
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    physical = request.physical_resource_id or f"{settings.resource_prefix}-environments-teardown"
    if request.request_type is not RequestType.DELETE:
        return request.response("SUCCESS", physical), {"answered": "SUCCESS", "changed": False}
    status = cloudformation.stack_status(request.stack_id)
    if status is not None and status not in _STACK_GOING_AWAY:
        reason = f"the stack is {status}: this is a replacement's cleanup, the environments stay"
        return request.response("SUCCESS", physical, reason), {"answered": "SUCCESS", "reason": reason}
    provision_arn = _required(request, "ProvisionStateMachineArn")
    live, provisionings = environments_to_remove(settings.environments_table, provision_arn)
    if not live:
        reason = "no environments to remove"
        return request.response("SUCCESS", physical, reason), {"answered": "SUCCESS", "reason": reason}
    teardown_arn = _required(request, "TeardownStateMachineArn")
    if str(request.prop("TeardownEnvironmentsOnDelete", "true")).lower() == "false":
        reason = refusal(live, teardown_arn, settings.aws_region)
        return request.response("FAILED", physical, reason), {"answered": "FAILED", "reason": reason}
    workflow_input = {
        "request": {**request.to_state(), "PhysicalResourceId": physical},
        "teardownStateMachineArn": teardown_arn,
        "provisionStateMachineArn": provision_arn,
        "pollIntervalSeconds": _poll_interval(request),
        "deadline": now_ms() // 1000 + ANSWER_WITHIN_SECONDS,
        "environments": [
            {"name": summary.name, "provisionings": provisionings.get(summary.name, [])} for summary in live
        ],
    }
    started = executions.start(
        _required(request, "StackTeardownStateMachineArn"),
        f"stack-delete-{request.request_id}"[:80],
        workflow_input,
    )
    outcome = {"answered": "later", "stackTeardownExecutionArn": started.execution_arn}
    return None, {**outcome, "environments": [summary.name for summary in live]}


def environments_to_remove(
    table_name: str, provision_state_machine_arn: str
) -> tuple[list[EnvironmentSummary], dict[str, list[str]]]:
    """Every environment not DELETED, and those a running provisioning is about to create: one started
    just before the stack's deletion may not have recorded its environment yet, and must not be missed.
    Returns the environments by name, and the running provisioning executions of each."""
    live = {summary.name: summary for summary in EnvironmentStore(table_name).live()}
    provisionings: dict[str, list[str]] = {}
    for execution_arn, execution_input in executions.running(provision_state_machine_arn):
        name = execution_input.get("name") if isinstance(execution_input, dict) else None
        if not isinstance(name, str) or not name:
            continue  # an input the workflow refuses at once: it creates nothing
        provisionings.setdefault(name, []).append(execution_arn)
        live.setdefault(
            name, EnvironmentSummary(name, EnvironmentStatus.PROVISIONING, None, None, execution_arn)
        )
    return sorted(live.values(), key=lambda summary: summary.name), provisionings


def teardown_command(teardown_state_machine_arn: str, environment: str, region: str) -> str:
    """The command that tears ``environment`` down (what sam delete does itself unless told not to)."""
    execution_input = json.dumps({"name": environment}, separators=(",", ":"))
    return (
        f"aws stepfunctions start-execution --region {region} "
        f"--state-machine-arn {teardown_state_machine_arn} --input '{execution_input}'"
    )


def refusal(live: list[EnvironmentSummary], teardown_state_machine_arn: str, region: str) -> str:
    """Why Delete is refused, and what removes each environment; then ``sam delete`` again."""
    listed = ", ".join(f"{summary.name} ({summary.status})" for summary in live)
    commands = " ; ".join(teardown_command(teardown_state_machine_arn, s.name, region) for s in live)
    return (
        f"Environments still exist: {listed}. TeardownEnvironmentsOnDelete is 'false', so deleting the "
        f"stack does not remove them, and their clusters need the stack's network. Remove each with: "
        f"{commands} ; then delete the stack again."
    )
