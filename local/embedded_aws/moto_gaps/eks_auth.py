"""EKS Auth's AssumeRoleForPodIdentity, which moto lacks: what the eks-pod-identity-agent asks for a pod.

The pod's cluster, namespace and service account find its Pod Identity association
(:mod:`.eks_pod_identity`); EKS Pod Identity (``pods.eks.amazonaws.com``) then assumes the association's
role with session tags naming the pod (``eks-cluster-name``, ``eks-cluster-arn``, ``kubernetes-namespace``,
``kubernetes-service-account``; "Tag EKS Pod Identity sessions", Amazon EKS User Guide), which STS allows
only where the role's trust policy allows that principal both ``sts:AssumeRole`` and ``sts:TagSession``
with those tags and the account as ``aws:SourceAccount``. moto's STS evaluates no trust policy, so this
module does, as strictly as IAM: an explicit Deny wins; a condition operator or key it does not know is
taken not to hold (the role is refused rather than given on a guess). The pod name and uid tags are not
set (the data plane does not pass them here): a trust policy that conditions on them is refused.

An association whose ``disableSessionTags`` is true has its role assumed without tags (and without
``sts:TagSession``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

from moto.eks.models import eks_backends
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from local.dataplane.pod_identity import Credentials
from local.embedded_aws.moto_gaps.eks_pod_identity import associations

POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
SESSION_SECONDS = 3600


class PodIdentityRefused(Exception):
    """STS refused the association's role (EKS Auth answers AccessDeniedException): the pod gets nothing."""


def assume_role_for_pod_identity(
    account: str, region: str, cluster_name: str, namespace: str, service_account: str | None
) -> Credentials | None:
    """A session of the role of the pod's association; None when its service account has none. Raises
    :class:`PodIdentityRefused` when the role's trust policy does not allow it."""
    cluster = eks_backends[account][region].clusters.get(cluster_name)
    if cluster is None or service_account is None:
        return None
    found = [
        a
        for a in associations(cluster).values()
        if (a.namespace, a.service_account) == (namespace, service_account)
    ]
    if not found:
        return None
    association = found[0]
    tags = (
        {}
        if association.disable_session_tags
        else {
            "eks-cluster-name": cluster.name,
            "eks-cluster-arn": cluster.arn,
            "kubernetes-namespace": namespace,
            "kubernetes-service-account": service_account,
        }
    )
    context = {"aws:SourceAccount": account, "aws:SourceArn": cluster.arn} | {
        f"aws:RequestTag/{key}": value for key, value in tags.items()
    }
    actions = ["sts:AssumeRole", *(["sts:TagSession"] if tags else [])]
    partition = get_partition(region)
    try:
        role = iam_backends[account][partition].get_role_by_arn(association.role_arn)
    except NotFoundException:
        raise PodIdentityRefused(f"role {association.role_arn} does not exist") from None
    document = role.assume_role_policy_document
    trust = json.loads(document) if isinstance(document, str) else document
    for action in actions:
        if not trust_allows(trust, POD_IDENTITY_PRINCIPAL, action, context):
            raise PodIdentityRefused(
                f"{POD_IDENTITY_PRINCIPAL} is not authorized to perform {action} on {association.role_arn}: "
                f"its trust policy does not allow the pod ({cluster.name}, {namespace}/{service_account})"
            )
    session = sts_backends[account][partition].assume_role(
        region, f"eks-{cluster.name}-{uuid.uuid4().hex[:8]}", association.role_arn, "", SESSION_SECONDS, ""
    )
    return Credentials(
        session.access_key_id,
        session.secret_access_key,
        session.session_token,
        session.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


# -- a role's trust policy, for a service principal -------------------------------------------------------
def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL
    )


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    return service in _listed(principal.get("Service")) or "*" in _listed(principal.get("AWS"))


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(_glob(a.lower()).fullmatch(action.lower()) for a in _listed(statement["Action"]))
    return not any(_glob(a.lower()).fullmatch(action.lower()) for a in _listed(statement.get("NotAction")))


_OPERATORS = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringNotEquals": lambda expected, actual: actual != expected,
    "StringLike": lambda expected, actual: bool(_glob(expected).fullmatch(actual)),
    "StringNotLike": lambda expected, actual: not _glob(expected).fullmatch(actual),
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnLike": lambda expected, actual: bool(_glob(expected).fullmatch(actual)),
}
_NEGATED = {"StringNotEquals", "StringNotLike"}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every operator's every key holds (IAM's AND); a key's values are alternatives (OR). A key the
    request does not have fails a positive operator and passes a negated one, as IAM evaluates them."""
    for operator, keys in conditions.items():
        test = _OPERATORS.get(operator)
        if test is None:
            return False
        for key, expected in keys.items():
            actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if actual is None:
                if operator not in _NEGATED:
                    return False
                continue
            values = _listed(expected)
            if operator in _NEGATED:
                if not all(test(str(v), actual) for v in values):
                    return False
            elif not any(test(str(v), actual) for v in values):
                return False
    return True


def trust_allows(trust: Mapping[str, Any], service: str, action: str, context: Mapping[str, str]) -> bool:
    """Whether the trust policy lets ``service`` perform ``action`` on the role with ``context``."""
    statements = trust.get("Statement", [])
    allowed = False
    for statement in [statements] if isinstance(statements, Mapping) else statements:
        if "NotPrincipal" in statement or not _principal_matches(statement.get("Principal"), service):
            continue
        if not _action_matches(statement, action):
            continue
        if not _conditions_hold(statement.get("Condition") or {}, context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed
