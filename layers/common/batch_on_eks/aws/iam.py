"""IAM: the environments' job roles, for the provision and teardown steps.

"Already exists" and "already gone" are answers, not errors: running a step again converges. A role is
found by listing the job roles' path (ListRoles), never by asking for a name that may not exist: IAM
authorizes a request on a role by the role's ARN, whose path it knows only for a role that exists.
"""

from __future__ import annotations

import json
from typing import Any

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed, InvalidInput, ResourceNotOwned

_EXISTS = "EntityAlreadyExists"
_NO_SUCH = "NoSuchEntity"


def _iam() -> Any:
    return client("iam")


def ensure_job_role(
    name: str,
    path: str,
    trust_policy: dict[str, Any],
    boundary_arn: str,
    tags: dict[str, str],
    description: str,
) -> str:
    """The role (its ARN), created with ``boundary_arn`` as its permissions boundary. One already there is
    kept if it has that boundary (a retried step); one without it is not ours to hand to jobs."""
    iam = _iam()
    try:
        created = iam.create_role(
            RoleName=name,
            Path=path,
            AssumeRolePolicyDocument=json.dumps(trust_policy),
            PermissionsBoundary=boundary_arn,
            Description=description,
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
        return str(created["Role"]["Arn"])
    except AwsRequestFailed as error:
        if error.code != _EXISTS:
            raise
    role = iam.get_role(RoleName=name)["Role"]
    boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if role.get("Path") != path or boundary != boundary_arn:
        raise ResourceNotOwned(
            f"IAM role {name} exists with path {role.get('Path')} and permissions boundary {boundary}; "
            f"the environment's job role is {path}{name} with {boundary_arn}: not ours to give to jobs"
        )
    return str(role["Arn"])


def attach_policies(role_name: str, policy_arns: list[str], field: str) -> None:
    """Attach each managed policy (attaching one already attached changes nothing). A policy that does not
    exist is the input's fault: refused naming ``field``'s item."""
    iam = _iam()
    for index, policy_arn in enumerate(policy_arns):
        try:
            iam.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
        except AwsRequestFailed as error:
            if error.code in (_NO_SUCH, "InvalidInput", "PolicyNotAttachable"):
                raise InvalidInput.field(
                    f"{field}.{index}", f"a managed policy IAM can attach to a role: {error.reason}"
                ) from error
            raise


def job_roles(path: str) -> dict[str, str]:
    """The roles under ``path``: name -> ARN."""
    roles: dict[str, str] = {}
    for page in _iam().get_paginator("list_roles").paginate(PathPrefix=path):
        roles |= {str(role["RoleName"]): str(role["Arn"]) for role in page["Roles"] if role["Path"] == path}
    return roles


def delete_role(name: str) -> None:
    """Detach its managed policies, delete its inline ones (a user may have added either), then the role;
    a role or policy already gone is done."""
    iam = _iam()
    try:
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for policy in page["AttachedPolicies"]:
                _unless_gone(iam.detach_role_policy, RoleName=name, PolicyArn=policy["PolicyArn"])
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page["PolicyNames"]:
                _unless_gone(iam.delete_role_policy, RoleName=name, PolicyName=policy_name)
        iam.delete_role(RoleName=name)
    except AwsRequestFailed as error:
        if error.code != _NO_SUCH:
            raise


def _unless_gone(call: Any, **request: Any) -> None:
    try:
        call(**request)
    except AwsRequestFailed as error:
        if error.code != _NO_SUCH:
            raise
