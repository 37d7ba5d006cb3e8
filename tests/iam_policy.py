"""Does a function's IAM policy allow the AWS calls its handler made? (least privilege)

Each call recorded by :mod:`local.embedded_aws.call_recorder` carries its function's inline policies as the
embedded IAM holds them (created from the SAM-translated ``template.yaml``: policy templates and the
permissions SAM adds, such as an ``EventInvokeConfig`` destination's, expanded exactly as SAM does). A call is
turned into the IAM actions and resource ARNs it needs (:func:`required_permissions`), each evaluated as IAM
does for identity policies (:func:`evaluate`): an explicit Deny wins, otherwise some Allow must match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from local.embedded_aws.call_recorder import RecordedCall


# -- evaluation -----------------------------------------------------------------------------------------
@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(globs: Any, value: str, ignore_case: bool) -> bool:
    values = [globs] if isinstance(globs, str) else list(globs)
    return any(_pattern(glob, ignore_case).fullmatch(value) for glob in values)


def _statements(document: Mapping[str, Any] | str) -> list[dict[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = _matches(statement["Action"], action, ignore_case=True)
    else:
        action_ok = not _matches(statement.get("NotAction", []), action, ignore_case=True)
    if "Resource" in statement:
        resource_ok = _matches(statement["Resource"], resource, ignore_case=False)
    else:
        resource_ok = not _matches(statement.get("NotResource", []), resource, ignore_case=False)
    return action_ok and resource_ok


@dataclass(frozen=True)
class Decision:
    allowed: bool
    allowing: tuple[str, ...]  # Sids of the Allow statements that match
    denying: tuple[str, ...]  # Sids of the Deny statements that match


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool | None:
    """A ``StringEquals`` condition on keys the request's ``context`` has; None when it cannot be judged."""
    if set(condition) != {"StringEquals"}:
        return None
    for key, expected in condition["StringEquals"].items():
        if key not in context:
            return None
        if context[key] not in ([expected] if isinstance(expected, str) else expected):
            return False
    return True


def evaluate(
    documents: Iterable[Mapping[str, Any] | str],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """IAM's identity-policy logic for one action on one resource: Deny wins, else an Allow is needed.

    A ``StringEquals`` condition on a key the request's ``context`` gives is evaluated. Any other
    ``Condition`` cannot be judged without the request's context: it is taken to apply when it denies and
    not to apply when it allows (so the check errs on the side of reporting).
    """
    allowing: list[str] = []
    denying: list[str] = []
    for document in documents:
        for index, statement in enumerate(_statements(document)):
            if not _applies(statement, action, resource):
                continue
            sid = str(statement.get("Sid", f"#{index}"))
            holds = (
                _condition_holds(statement["Condition"], context or {})
                if statement.get("Condition")
                else True
            )
            if statement.get("Effect") == "Deny" and holds is not False:
                denying.append(sid)
            elif statement.get("Effect") == "Allow" and holds is True:
                allowing.append(sid)
    return Decision(bool(allowing) and not denying, tuple(allowing), tuple(denying))


# -- what a call needs ----------------------------------------------------------------------------------
def _arn(call: RecordedCall, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{call.region}:{call.account}:{resource}"


def _table_arn(call: RecordedCall, table: str) -> str:
    return table if table.startswith("arn:") else _arn(call, "dynamodb", f"table/{table}")


def _batch_arn(call: RecordedCall, kind: str, name: str) -> str:
    return name if name.startswith("arn:") else _arn(call, "batch", f"{kind}/{name}")


_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(call: RecordedCall) -> list[tuple[str, str]]:
    params, op = call.params, call.operation
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [(call.action, _table_arn(call, table)) for table in params.get("RequestItems", {})]
    if op in ("TransactWriteItems", "TransactGetItems"):
        needed = []
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                needed.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(call, request["TableName"])))
        return needed
    if "TableName" not in params:
        return [(call.action, "*")]  # ListTables, DescribeLimits and friends
    resource = _table_arn(call, params["TableName"])
    if op in ("Query", "Scan") and params.get("IndexName"):
        resource += f"/index/{params['IndexName']}"
    return [(call.action, resource)]


def _job_definition_arn(call: RecordedCall, reference: str) -> str:
    if reference.startswith("arn:"):
        return reference
    # A bare name runs its latest active revision, which the call does not name: any revision ("name:*")
    # must then be allowed.
    return _batch_arn(call, "job-definition", reference if ":" in reference else f"{reference}:*")


def _batch(call: RecordedCall) -> list[tuple[str, str]]:
    params, op = call.params, call.operation
    if op == "SubmitJob":
        needed = [
            (call.action, _batch_arn(call, "job-queue", params["jobQueue"])),
            (call.action, _job_definition_arn(call, params["jobDefinition"])),
        ]
        if params.get("tags"):
            # Tagging on creation is authorised as batch:TagResource on the new job.
            needed.append(("batch:TagResource", _arn(call, "batch", "job/*")))
        return needed
    if op in ("TerminateJob", "CancelJob"):
        return [(call.action, _batch_arn(call, "job", params["jobId"]))]
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        return [(call.action, params["resourceArn"])]
    if op in ("UpdateJobQueue", "DeleteJobQueue"):
        return [(call.action, _batch_arn(call, "job-queue", params["jobQueue"]))]
    if op in ("UpdateComputeEnvironment", "DeleteComputeEnvironment"):
        return [(call.action, _batch_arn(call, "compute-environment", params["computeEnvironment"]))]
    created = {
        "CreateComputeEnvironment": ("compute-environment", "computeEnvironmentName"),
        "CreateJobQueue": ("job-queue", "jobQueueName"),
        "RegisterJobDefinition": ("job-definition", "jobDefinitionName"),
    }
    if op in created:
        kind, key = created[op]
        arn = _batch_arn(call, kind, params[key] + (":*" if kind == "job-definition" else ""))
        needed = [(call.action, arn)]
        if op == "CreateJobQueue":
            needed += [
                (call.action, _batch_arn(call, "compute-environment", entry["computeEnvironment"]))
                for entry in params.get("computeEnvironmentOrder", [])
            ]
        if params.get("tags"):
            needed.append(("batch:TagResource", arn))
        return needed
    if op == "DeregisterJobDefinition":
        return [(call.action, _job_definition_arn(call, params["jobDefinition"]))]
    # DescribeJobs, ListJobs, Describe*, RegisterJobDefinition...: no resource-level permissions
    return [(call.action, "*")]


def _eks(call: RecordedCall) -> list[tuple[str, str]]:
    """EKS authorizes Create* of a node group, add-on or access entry on the cluster, and everything done to
    one of those on its own ARN (which ends in an id the caller does not know: matched as ``*``)."""
    params, op = call.params, call.operation
    cluster = params.get("clusterName") or params.get("name")
    if cluster is None:
        return [(call.action, "*")]  # ListClusters, DescribeAddonVersions...
    cluster_arn = _arn(call, "eks", f"cluster/{cluster}")
    if "nodegroupName" in params and op != "CreateNodegroup":
        resource = _arn(call, "eks", f"nodegroup/{cluster}/{params['nodegroupName']}/*")
    elif "addonName" in params and op != "CreateAddon":
        resource = _arn(call, "eks", f"addon/{cluster}/{params['addonName']}/*")
    elif "principalArn" in params and op != "CreateAccessEntry":
        resource = _arn(call, "eks", f"access-entry/{cluster}/*")
    else:
        resource = cluster_arn
    needed = [(call.action, resource)]
    if params.get("tags"):
        needed.append(("eks:TagResource", resource))
    # Roles handed to EKS are passed: the caller needs iam:PassRole on each (see _context).
    passed = [params.get("roleArn"), params.get("nodeRole")]
    passed += [association.get("roleArn") for association in params.get("podIdentityAssociations") or []]
    return needed + [("iam:PassRole", str(role)) for role in passed if role]


@dataclass(frozen=True)
class RoleFacts:
    """What IAM knows of a role when it authorizes a request that names it only by name: its path (in its
    ARN) and its permissions boundary (the ``iam:PermissionsBoundary`` condition key)."""

    path: str
    boundary: str | None


def roles_created(calls: Iterable[RecordedCall]) -> dict[tuple[str, str], RoleFacts]:
    """(account, role name) -> the facts its CreateRole gave. A role not created by a recorded call is taken
    to have path ``/`` and no boundary: a policy scoped to a path or a boundary then does not allow calls on
    it, so the check errs on the side of reporting."""
    return {
        (call.account, str(call.params["RoleName"])): RoleFacts(
            str(call.params.get("Path") or "/"), call.params.get("PermissionsBoundary")
        )
        for call in calls
        if call.action == "iam:CreateRole"
    }


def _role(call: RecordedCall, roles: Mapping[tuple[str, str], RoleFacts]) -> RoleFacts:
    if call.operation == "CreateRole":
        return RoleFacts(str(call.params.get("Path") or "/"), call.params.get("PermissionsBoundary"))
    return roles.get((call.account, str(call.params["RoleName"])), RoleFacts("/", None))


def _iam(call: RecordedCall, roles: Mapping[tuple[str, str], RoleFacts]) -> list[tuple[str, str]]:
    params = call.params
    if call.operation == "CreateServiceLinkedRole":
        service = str(params["AWSServiceName"])
        return [(call.action, f"arn:aws:iam::{call.account}:role/aws-service-role/{service}/*")]
    if "RoleName" in params:  # IAM is global: its ARNs have no region; a role's ARN has its path
        arn = f"arn:aws:iam::{call.account}:role{_role(call, roles).path}{params['RoleName']}"
        needed = [(call.action, arn)]
        if call.operation == "CreateRole" and params.get("Tags"):
            needed.append(("iam:TagRole", arn))  # tagging on creation is authorized as TagRole too
        return needed
    return [(call.action, "*")]


def _log_group_arn(call: RecordedCall, name: str) -> str:
    return name.removesuffix(":*") if name.startswith("arn:") else _arn(call, "logs", f"log-group:{name}")


def _logs(call: RecordedCall) -> list[tuple[str, str]]:
    params = call.params
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if group is None:
        return [(call.action, "*")]  # DescribeLogGroups, StartQuery over several groups...
    arn = _log_group_arn(call, str(group))
    if call.operation in ("GetLogEvents", "PutLogEvents") and "logStreamName" in params:
        arn += f":log-stream:{params['logStreamName']}"
    needed = [(call.action, arn)]
    if call.operation == "CreateLogGroup" and params.get("tags"):
        needed.append(("logs:TagResource", arn))
    return needed


def _states(call: RecordedCall) -> list[tuple[str, str]]:
    params = call.params
    for key in ("stateMachineArn", "executionArn", "activityArn", "resourceArn"):
        if key in params:
            return [(call.action, str(params[key]))]
    return [(call.action, "*")]  # SendTask*: the token names the task, no resource-level permissions


def _sqs(call: RecordedCall) -> list[tuple[str, str]]:
    params = call.params
    name = str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1] if "QueueUrl" in params else None
    name = name or params.get("QueueName")
    return [(call.action, _arn(call, "sqs", name) if name else "*")]


def _lambda(call: RecordedCall) -> list[tuple[str, str]]:
    name = call.params.get("FunctionName")
    if name is None:
        return [(call.action, "*")]
    if str(name).startswith("arn:"):
        return [(call.action, str(name))]
    return [(call.action, _arn(call, "lambda", f"function:{name}"))]


def _sns(call: RecordedCall) -> list[tuple[str, str]]:
    return [(call.action, str(call.params.get("TopicArn") or call.params.get("TargetArn") or "*"))]


def _events(call: RecordedCall) -> list[tuple[str, str]]:
    if call.operation == "PutEvents":
        buses = {str(entry.get("EventBusName") or "default") for entry in call.params.get("Entries", [])}
        return [
            (call.action, bus if bus.startswith("arn:") else _arn(call, "events", f"event-bus/{bus}"))
            for bus in sorted(buses)
        ]
    return [(call.action, "*")]


def _cloudformation(call: RecordedCall) -> list[tuple[str, str]]:
    """A stack is named by its name or its id (ARN); by name, any of its ids (``stack/<name>/*``)."""
    stack = call.params.get("StackName")
    if stack is None:
        return [(call.action, "*")]  # DescribeStacks of every stack, ListStacks...
    name = str(stack)
    arn = name if name.startswith("arn:") else _arn(call, "cloudformation", f"stack/{name}/*")
    return [(call.action, arn)]


_BY_SERVICE: dict[str, Any] = {
    "cloudformation": _cloudformation,
    "dynamodb": _dynamodb,
    "batch": _batch,
    "eks": _eks,
    "logs": _logs,
    "states": _states,
    "sqs": _sqs,
    "lambda": _lambda,
    "sns": _sns,
    "events": _events,
}


# The actions whose request carries the role's permissions boundary as ``iam:PermissionsBoundary`` (the
# Service Authorization Reference's condition keys for IAM): CreateRole the one it asks for, the others the
# role's own.
_BOUNDARY_ACTIONS = frozenset(
    {
        "iam:CreateRole",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary",
    }
)


def request_context(
    call: RecordedCall,
    action: str,
    resource: str,
    roles: Mapping[tuple[str, str], RoleFacts] | None = None,
) -> dict[str, str]:
    """The condition keys IAM would see for one (action, resource) of a call, where the policies use them.
    ``iam:PermissionsBoundary`` is the empty string for a role without one: a StringEquals on it fails."""
    params = call.params
    if action in _BOUNDARY_ACTIONS and call.iam_prefix == "iam" and "RoleName" in params:
        return {"iam:PermissionsBoundary": _role(call, roles or {}).boundary or ""}
    if action == "iam:PassRole" and call.iam_prefix == "eks":
        pod_roles = {a.get("roleArn") for a in params.get("podIdentityAssociations") or []}
        if call.operation == "CreatePodIdentityAssociation":  # the role goes to EKS Pod Identity
            pod_roles.add(params.get("roleArn"))
        service = "pods.eks.amazonaws.com" if resource in pod_roles else "eks.amazonaws.com"
        return {"iam:PassedToService": service}
    if action == "iam:CreateServiceLinkedRole":
        return {"iam:AWSServiceName": str(params.get("AWSServiceName"))}
    return {}


def required_permissions(
    call: RecordedCall, roles: Mapping[tuple[str, str], RoleFacts] | None = None
) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs a call needs (``roles``: what :func:`roles_created` found, for
    the path of a role named by name). An unmapped service is checked against "*", which only a
    ``Resource: "*"`` statement allows: map it here before narrowing its policy."""
    if call.iam_prefix == "iam":
        return _iam(call, roles or {})
    mapper = _BY_SERVICE.get(call.iam_prefix)
    return mapper(call) if mapper is not None else [(call.action, "*")]


# -- the check ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    function: str
    action: str
    resource: str
    allowing: tuple[str, ...]
    denying: tuple[str, ...]
    statements: tuple[str, ...]  # the Sids of the function's statements, to see what it has

    def __str__(self) -> str:
        why = f"denied by {', '.join(self.denying)}" if self.denying else "no statement allows it"
        return (
            f"{self.function}: {self.action} on {self.resource} - {why} "
            f"(its statements: {', '.join(self.statements) or 'none'})"
        )


# IAM authorizes these for every identity: no policy grants or denies them.
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


def violations(calls: Iterable[RecordedCall]) -> list[Violation]:
    """Each distinct (function, action, resource) that the function's policies do not allow."""
    found: dict[tuple[str, str, str], Violation] = {}
    calls = list(calls)
    roles = roles_created(calls)
    for call in calls:
        documents = list(call.policies.values())
        function = call.logical_id or call.function_name
        for action, resource in required_permissions(call, roles):
            key = (function, action, resource)
            if key in found or action in ALWAYS_ALLOWED:
                continue
            decision = evaluate(documents, action, resource, request_context(call, action, resource, roles))
            if not decision.allowed:
                sids = tuple(
                    str(statement.get("Sid", f"{name}#{index}"))
                    for name, document in call.policies.items()
                    for index, statement in enumerate(_statements(document))
                )
                found[key] = Violation(function, action, resource, decision.allowing, decision.denying, sids)
    return list(found.values())
