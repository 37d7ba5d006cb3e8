"""Shared by the template tests: the template as CloudFormation would create it for given parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from local.embedded_aws.deploy.template import Intrinsics, parameter_values


def as_created(template: Mapping[str, Any], overrides: Mapping[str, str]) -> tuple[Intrinsics, set[str]]:
    """Intrinsics for ``overrides`` that know only the resources their conditions create (ref = logical id,
    Arn/GroupId derived from it), and those resources' logical ids."""
    intrinsics = Intrinsics(
        parameter_values(template, overrides),
        {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"},
        template.get("Conditions", {}),
    )
    created = set()
    for name, resource in template["Resources"].items():
        if "Condition" in resource and not intrinsics.condition(resource["Condition"]):
            continue
        created.add(name)
        intrinsics.record(name, name, {"Arn": f"arn-of:{name}", "GroupId": f"group-of:{name}"})
    return intrinsics, created
