"""IAM AttachRolePolicy (and AttachUserPolicy, AttachGroupPolicy) of a managed policy already attached
changes nothing on AWS; moto counts it again in the policy's ``AttachmentCount``, so a policy attached twice
and detached once would still look attached (and could not be deleted)."""

from __future__ import annotations

from typing import Any

from moto.iam.models import ManagedPolicy

_original_attach_to = ManagedPolicy.attach_to


def _attach_to(self: ManagedPolicy, obj: Any) -> None:
    if self.arn in obj.managed_policies:
        return
    _original_attach_to(self, obj)


def install() -> None:
    ManagedPolicy.attach_to = _attach_to  # type: ignore[method-assign]
