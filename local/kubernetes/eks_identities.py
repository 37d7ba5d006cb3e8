"""Who an IAM caller is inside one EKS cluster: its access entry, else its aws-auth mapping, else nobody.

This is what EKS does after it has checked a token (:mod:`.eks_tokens`):

- An ``assumed-role`` ARN (``arn:aws:sts::<acct>:assumed-role/<role>/<session>``) stands for its role,
  ``arn:aws:iam::<acct>:role/<role>``: the role's path is not in it, which is why aws-auth's ``rolearn``
  must be written without one.
- Access entries first (authentication modes ``API`` and ``API_AND_CONFIG_MAP``): the entry's username
  (EKS's default for a role is ``arn:aws:sts::<acct>:assumed-role/<role>/{{SessionName}}``) and its
  ``kubernetesGroups``.
- Then the ``aws-auth`` ConfigMap in ``kube-system`` (modes ``CONFIG_MAP`` and ``API_AND_CONFIG_MAP``):
  ``mapRoles`` (``rolearn``) and ``mapUsers`` (``userarn``), each with a username and groups.
- Templates in usernames: ``{{AccountID}}``, ``{{SessionName}}`` (``@`` becomes ``-``),
  ``{{SessionNameRaw}}``, ``{{AccessKeyID}}`` and ``{{EC2PrivateDNSName}}`` (the private DNS name of the
  EC2 instance whose id is the session name; no such instance, no identity).

Access policies: EKS authorizes access entries through its own access-policy authorizer, beside RBAC.
A local API server has RBAC only, so the one policy our code depends on is emulated through RBAC: an entry
with ``AmazonEKSClusterAdminPolicy`` associated at cluster scope also gets group ``system:masters`` (what
that policy grants: everything). The other policies (Admin, Edit, View) are not emulated and grant
nothing here; grant through ``kubernetesGroups`` and RBAC instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import yaml

from local.kubernetes.eks_tokens import Caller
from local.kubernetes.webhook import Identity

logger = logging.getLogger(__name__)

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
MASTERS = "system:masters"
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
# moto's STS answers a key it did not issue (the process's own) as ``arn:aws:sts::<acct>:user/moto``.
_MOTO_DEFAULT_USER = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):user/(.+)$")
_IAM_PRINCIPAL = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")
_TEMPLATE = re.compile(r"\{\{(\w+)\}\}")


def principal_of(caller_arn: str) -> tuple[str, str | None]:
    """The IAM principal ARN a caller stands for, and its session name (roles only)."""
    assumed = _ASSUMED_ROLE.match(caller_arn)
    if assumed:
        partition, account, role, session = assumed.groups()
        return f"arn:{partition}:iam::{account}:role/{role}", session
    default_user = _MOTO_DEFAULT_USER.match(caller_arn)
    if default_user:
        partition, account, user = default_user.groups()
        return f"arn:{partition}:iam::{account}:user/{user}", None
    return caller_arn, None


def _same_principal(entry_arn: str, principal: str) -> bool:
    """Access entries may name a role with its path; the caller's ARN has none: compare without paths."""
    entry, caller = _IAM_PRINCIPAL.match(entry_arn), _IAM_PRINCIPAL.match(principal)
    return entry is not None and caller is not None and entry.groups() == caller.groups()


class AccessEntry(Protocol):
    """An access entry as EKS keeps it: the principal, the Kubernetes user and groups, the access policies
    associated with it (policy ARN -> association with its ``accessScope``)."""

    principal_arn: str
    username: str
    kubernetes_groups: list[str]
    policies: dict[str, dict[str, Any]]


class ClusterAccess(Protocol):
    """What EKS knows of who may use a cluster: its authentication mode and its access entries. The
    embedded EKS supplies it (the cluster's API side owns them); None: there is no such cluster."""

    def authentication_mode(self, account: str, region: str, cluster: str) -> str | None: ...

    def access_entries(self, account: str, region: str, cluster: str) -> Sequence[AccessEntry]: ...


class IdentityMapper:
    """Maps callers to Kubernetes identities for one cluster of the embedded EKS."""

    def __init__(
        self,
        account: str,
        region: str,
        cluster_name: str,
        aws_auth: Callable[[], dict[str, Any] | None],
        access: ClusterAccess,
    ):
        self.account = account
        self.region = region
        self.cluster_name = cluster_name
        self._aws_auth = aws_auth  # the aws-auth ConfigMap, read as the admin (None when absent)
        self._access = access

    def identity(self, caller: Caller) -> Identity | None:
        mode = self._access.authentication_mode(self.account, self.region, self.cluster_name)
        if mode is None:
            return None
        principal, session = principal_of(caller.arn)
        variables = self._variables(caller, session)
        uid = f"aws-iam-authenticator:{caller.account}:{caller.user_id}"
        if mode in ("API", "API_AND_CONFIG_MAP"):
            for entry in self._access.access_entries(self.account, self.region, self.cluster_name):
                if _same_principal(entry.principal_arn, principal):
                    groups = list(entry.kubernetes_groups)
                    if self._is_cluster_admin(entry.policies):
                        groups.append(MASTERS)
                    return self._identity(entry.username, uid, groups, variables)
        if mode in ("CONFIG_MAP", "API_AND_CONFIG_MAP"):
            mapping = self._aws_auth_mapping(principal)
            if mapping is not None:
                username = str(mapping.get("username") or principal)
                return self._identity(username, uid, list(mapping.get("groups") or []), variables)
        logger.info("no access entry or aws-auth mapping for %s on cluster %s", principal, self.cluster_name)
        return None

    @staticmethod
    def _is_cluster_admin(policies: dict[str, dict[str, Any]]) -> bool:
        return any(
            arn.endswith(f"/{CLUSTER_ADMIN_POLICY}")
            and (association.get("accessScope") or {}).get("type") == "cluster"
            for arn, association in policies.items()
        )

    def _aws_auth_mapping(self, principal: str) -> dict[str, Any] | None:
        config = self._aws_auth()
        data = (config or {}).get("data") or {}
        for key, field in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
            try:
                items = yaml.safe_load(data.get(key) or "[]") or []
            except yaml.YAMLError:
                logger.warning(
                    "aws-auth %s on cluster %s is not valid YAML; it maps nobody", key, self.cluster_name
                )
                continue
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and str(item.get(field, "")).lower() == principal.lower():
                    return item
        return None

    def _variables(self, caller: Caller, session: str | None) -> dict[str, Callable[[], str | None]]:
        return {
            "AccountID": lambda: caller.account,
            "SessionName": lambda: session.replace("@", "-") if session else None,
            "SessionNameRaw": lambda: session,
            "AccessKeyID": lambda: caller.access_key_id,
            "EC2PrivateDNSName": lambda: self._private_dns_name(session),
        }

    def _private_dns_name(self, instance_id: str | None) -> str | None:
        from moto.ec2.models import ec2_backends

        if not instance_id:
            return None
        try:
            instance = ec2_backends[self.account][self.region].get_instance(instance_id)
        except Exception:  # moto raises InvalidInstanceIdError: no such instance
            return None
        return str(instance.private_dns_name) if instance is not None else None

    @staticmethod
    def _identity(
        template: str, uid: str, groups: list[str], variables: dict[str, Callable[[], str | None]]
    ) -> Identity | None:
        missing: list[str] = []

        def fill(match: re.Match[str]) -> str:
            value = variables[match.group(1)]() if match.group(1) in variables else None
            if value is None:
                missing.append(match.group(0))
                return ""
            return value

        username = _TEMPLATE.sub(fill, template)
        if missing:
            logger.info("username %r cannot be filled (%s): no identity", template, ", ".join(missing))
            return None
        return Identity(username=username, uid=uid, groups=tuple(dict.fromkeys(str(g) for g in groups)))
