"""Does a function's IAM policy allow the AWS calls its handler made? (issue 3, least privilege)

Each call recorded by :mod:`local.call_recorder` carries its function's inline policies as the embedded IAM
holds them (created from the SAM-translated ``template.yaml``: policy templates and the permissions SAM
adds, such as an ``EventInvokeConfig`` destination's, expanded exactly as SAM does). A call is turned into
the IAM actions and resource ARNs it needs (:func:`required_permissions`), each evaluated as IAM does for
identity policies (:func:`evaluate`): an explicit Deny wins, otherwise some Allow must match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from local.call_recorder import RecordedCall


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


def evaluate(documents: Iterable[Mapping[str, Any] | str], action: str, resource: str) -> Decision:
    """IAM's identity-policy logic for one action on one resource: Deny wins, else an Allow is needed.

    A statement with a ``Condition`` cannot be judged without the request's context: it is taken to apply
    when it denies and not to apply when it allows (so the check errs on the side of reporting).
    """
    allowing: list[str] = []
    denying: list[str] = []
    for document in documents:
        for index, statement in enumerate(_statements(document)):
            if not _applies(statement, action, resource):
                continue
            sid = str(statement.get("Sid", f"#{index}"))
            if statement.get("Effect") == "Deny":
                denying.append(sid)
            elif statement.get("Effect") == "Allow" and not statement.get("Condition"):
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
    if op == "UpdateJobQueue":
        return [(call.action, _batch_arn(call, "job-queue", params["jobQueue"]))]
    if op == "UpdateComputeEnvironment":
        return [(call.action, _batch_arn(call, "compute-environment", params["computeEnvironment"]))]
    # DescribeJobs, ListJobs, Describe*, RegisterJobDefinition...: no resource-level permissions
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
    return [(call.action, arn)]


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


_BY_SERVICE = {
    "dynamodb": _dynamodb,
    "batch": _batch,
    "logs": _logs,
    "states": _states,
    "sqs": _sqs,
    "lambda": _lambda,
    "sns": _sns,
    "events": _events,
}


def required_permissions(call: RecordedCall) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs a call needs. An unmapped service is checked against "*",
    which only a ``Resource: "*"`` statement allows: map it here before narrowing its policy."""
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


def violations(calls: Iterable[RecordedCall]) -> list[Violation]:
    """Each distinct (function, action, resource) that the function's policies do not allow."""
    found: dict[tuple[str, str, str], Violation] = {}
    for call in calls:
        documents = list(call.policies.values())
        function = call.logical_id or call.function_name
        for action, resource in required_permissions(call):
            key = (function, action, resource)
            if key in found:
                continue
            decision = evaluate(documents, action, resource)
            if not decision.allowed:
                sids = tuple(
                    str(statement.get("Sid", f"{name}#{index}"))
                    for name, document in call.policies.items()
                    for index, statement in enumerate(_statements(document))
                )
                found[key] = Violation(function, action, resource, decision.allowing, decision.denying, sids)
    return list(found.values())
