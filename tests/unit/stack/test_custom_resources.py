"""The stack's custom resources, their pure decisions: a teardown-on-delete refused while environments
exist names each one and the command that removes it, and a Delete that is only an update's clean-up
leaves the environments alone."""

from __future__ import annotations

from typing import Any

import pytest

from batch_on_eks.aws.environments_table import EnvironmentSummary
from batch_on_eks.models.environment import EnvironmentStatus
from batch_on_eks.settings import Settings
from batch_on_eks.stack import custom_resources
from tests.unit.models.custom_resource_support import request

SETTINGS = Settings("doeks", "doeks-runs", "doeks-environments", 90, "us-east-1")


def test_the_refusal_names_each_environment_and_the_command_that_removes_it() -> None:
    # Given two environments that still exist
    live = [
        EnvironmentSummary("doeks-a", EnvironmentStatus.READY, None, None, None),
        EnvironmentSummary("doeks-b", EnvironmentStatus.FAILED, None, None, None),
    ]
    teardown = "arn:aws:states:us-east-1:123456789012:stateMachine:doeks-teardown-environment"
    # When the stack's deletion is refused because of them
    reason = custom_resources.refusal(live, teardown, "us-east-1")
    # Then the reason names each one with its status, and the command that tears each down
    assert "doeks-a (READY), doeks-b (FAILED)" in reason
    for name in ("doeks-a", "doeks-b"):
        command = custom_resources.teardown_command(teardown, name, "us-east-1")
        assert command in reason
        assert command.endswith(f"""--input '{{"name":"{name}"}}'""")


@pytest.mark.parametrize("status", ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"])
def test_a_delete_that_is_an_updates_cleanup_leaves_the_environments(
    monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    # Given a Delete request while the stack is being updated (the resource was replaced, not the stack
    # deleted), and environments that exist
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(custom_resources.cloudformation, "stack_status", lambda stack_id: status)
    monkeypatch.setattr(custom_resources.cloudformation, "send_response", lambda url, body: sent.append(body))

    def never(*args: Any) -> Any:
        raise AssertionError("looked for environments to remove")

    monkeypatch.setattr(custom_resources, "environments_to_remove", never)
    # When it is handled
    custom_resources.answer_custom_resource(request(TeardownEnvironmentsOnDelete="true"), SETTINGS)
    # Then the answer is SUCCESS, and nothing was looked at or torn down
    (body,) = sent
    assert body["Status"] == "SUCCESS"
    assert status in body["Reason"]
