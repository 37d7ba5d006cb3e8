"""The functions' configuration: every environment variable the template gives a function, in one model.

Nothing else in the package reads ``os.environ``. A plain dataclass, not pydantic: every function loads it,
the hot-path ones (job events, submit-and-wait) included, whose cold starts must not import pydantic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

_RESOURCE_PREFIX = re.compile(r"[a-z][a-z0-9]{1,15}")
_INTEGER = re.compile(r"[+-]?[0-9]+")

# Each field's environment variable, as ``template.yaml`` names it.
_VARIABLES = {
    "resource_prefix": "RESOURCE_PREFIX",
    "runs_table": "RUNS_TABLE",
    "environments_table": "ENVIRONMENTS_TABLE",
    "finished_run_retention_days": "FINISHED_RUN_RETENTION_DAYS",
    "reconcile_period_minutes": "RECONCILE_PERIOD_MINUTES",
    "aws_region": "AWS_REGION",
}
RECONCILE_PERIOD_RULE = "must be an integer from 1 to 60"


def _invalid(name: str, rule: str, value: object) -> ValueError:
    return ValueError(f"environment variable {_VARIABLES[name]} {rule} (got {value!r})")


@dataclass(frozen=True)
class Settings:
    """What ``template.yaml`` (Globals and each function) sets in a function's environment.

    Validated on construction: a rule broken raises ValueError naming the environment variable.
    """

    resource_prefix: str
    runs_table: str
    environments_table: str
    finished_run_retention_days: int
    aws_region: str
    reconcile_period_minutes: int = 5  # the stack's ReconcilePeriodMinutes: the reconciler runs that often

    def __post_init__(self) -> None:
        for name in ("resource_prefix", "runs_table", "environments_table", "aws_region"):
            if not isinstance(getattr(self, name), str):
                raise _invalid(name, "must be a string", getattr(self, name))
        if not _RESOURCE_PREFIX.fullmatch(self.resource_prefix):
            raise _invalid(
                "resource_prefix",
                "must match ^[a-z][a-z0-9]{1,15}$ (a lowercase letter, then 1 to 15 letters or digits)",
                self.resource_prefix,
            )
        for name in ("runs_table", "environments_table"):
            if len(getattr(self, name)) < 3:
                raise _invalid(name, "must be at least 3 characters", getattr(self, name))
        days = self.finished_run_retention_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise _invalid("finished_run_retention_days", "must be an integer from 1 to 3650", days)
        if not self.aws_region:
            raise _invalid("aws_region", "must not be empty", self.aws_region)
        period = self.reconcile_period_minutes
        if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= 60:
            raise _invalid("reconcile_period_minutes", RECONCILE_PERIOD_RULE, period)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Self:
        """The settings from environment variables (``os.environ``, or a dict of them); others are ignored.

        Raises ValueError naming the environment variable that is missing or breaks its rule.
        """
        values: dict[str, str] = {}
        for name, variable in _VARIABLES.items():
            if variable not in environment:
                raise ValueError(f"environment variable {variable} is required")
            values[name] = environment[variable]
        days = values["finished_run_retention_days"].strip()
        if not _INTEGER.fullmatch(days):
            raise _invalid("finished_run_retention_days", "must be an integer from 1 to 3650", days)
        period = values["reconcile_period_minutes"].strip()
        if not _INTEGER.fullmatch(period):
            raise _invalid("reconcile_period_minutes", RECONCILE_PERIOD_RULE, period)
        return cls(
            resource_prefix=values["resource_prefix"],
            runs_table=values["runs_table"],
            environments_table=values["environments_table"],
            finished_run_retention_days=int(days),
            aws_region=values["aws_region"],
            reconcile_period_minutes=int(period),
        )

    @property
    def finished_run_ttl_seconds(self) -> int:
        return self.finished_run_retention_days * 86400

    @property
    def reconcile_period_seconds(self) -> int:
        return self.reconcile_period_minutes * 60


def load_settings() -> Settings:
    """Read the settings from the environment (cheap; read per invocation, never cached at import)."""
    return Settings.from_environment(os.environ)


# The provisioning functions' extra variables: the stack's network and IAM, which environments use.
_PROVISIONING_VARIABLES = {
    "cluster_role_arn": "CLUSTER_ROLE_ARN",
    "node_role_arn": "NODE_ROLE_ARN",
    "batch_instance_role_arn": "BATCH_INSTANCE_ROLE_ARN",
    "batch_instance_profile_arn": "BATCH_INSTANCE_PROFILE_ARN",
    "ebs_csi_driver_role_arn": "EBS_CSI_DRIVER_ROLE_ARN",
    "cloudwatch_observability_role_arn": "CLOUDWATCH_OBSERVABILITY_ROLE_ARN",
    "job_role_boundary_arn": "JOB_ROLE_BOUNDARY_ARN",
    "batch_launch_template_id": "BATCH_LAUNCH_TEMPLATE_ID",
    "kubernetes_step_role_arn": "KUBERNETES_STEP_ROLE_ARN",
    "private_subnet_ids": "PRIVATE_SUBNET_IDS",
    "node_security_group_id": "NODE_SECURITY_GROUP_ID",
    "teardown_state_machine_arn": "TEARDOWN_STATE_MACHINE_ARN",
}


@dataclass(frozen=True)
class ProvisioningSettings:
    """What the template gives the provision and teardown steps: the stack-owned roles and network that
    every environment uses (IAM and network belong to the stack; environments only reference them)."""

    cluster_role_arn: str
    node_role_arn: str
    batch_instance_role_arn: str
    batch_instance_profile_arn: str
    ebs_csi_driver_role_arn: str
    cloudwatch_observability_role_arn: str
    # The permissions boundary every environment's job role is created with (environments/job_roles.py).
    job_role_boundary_arn: str
    batch_launch_template_id: str
    kubernetes_step_role_arn: str
    private_subnet_ids: tuple[str, ...]
    node_security_group_id: str
    teardown_state_machine_arn: str
    # People given cluster admin in every environment (the stack's ClusterAdminPrincipalArns).
    cluster_admin_principal_arns: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Self:
        """Raises ValueError naming the variable that is missing or empty."""
        values: dict[str, str] = {}
        for name, variable in _PROVISIONING_VARIABLES.items():
            value = environment.get(variable, "").strip()
            if not value:
                raise ValueError(f"environment variable {variable} is required (the template sets it)")
            values[name] = value
        subnets = tuple(s.strip() for s in values.pop("private_subnet_ids").split(",") if s.strip())
        # The stack's ClusterAdminPrincipalArns, comma-joined: may be empty.
        admins = environment.get("CLUSTER_ADMIN_PRINCIPAL_ARNS", "")
        return cls(
            private_subnet_ids=subnets,
            cluster_admin_principal_arns=tuple(a.strip() for a in admins.split(",") if a.strip()),
            **values,
        )


def load_provisioning_settings() -> ProvisioningSettings:
    return ProvisioningSettings.from_environment(os.environ)
