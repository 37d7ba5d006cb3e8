"""The environment's record through provisioning and teardown: the first and last steps of each
workflow, the failure handler, and the rollback.

The environments table holds, per environment: status (PROVISIONING, READY, FAILED, DELETING, DELETED),
the settings it was provisioned with, a step timeline, the resource names and ARNs, the outputs a person
needs (the update-kubeconfig command, the queues, ready-to-paste hello-world runs), and on failure the
step and AWS's reason.
"""

from __future__ import annotations

import json
from typing import Any

from batch_on_eks.aws import eks, executions
from batch_on_eks.aws.environments_table import ClaimRefused, EnvironmentStore
from batch_on_eks.clock import now_ms
from batch_on_eks.environments import records
from batch_on_eks.environments.eks_steps import cluster_admins
from batch_on_eks.environments.kubernetes_version import choose_version
from batch_on_eks.environments.records import timeline_entry
from batch_on_eks.errors import EnvironmentBusy, InvalidInput, cause
from batch_on_eks.models.environment import Environment
from batch_on_eks.models.environment import EnvironmentStatus as Status
from batch_on_eks.models.environment_input import (
    AUTHENTICATION_MODES,
    DEFAULT_NAMESPACE,
    ProvisionInput,
    TeardownInput,
)
from batch_on_eks.models.environment_names import QUEUE_KINDS, hello_world_job_definition, job_queue_name
from batch_on_eks.models.kubernetes_versions import EXTENDED_SUPPORT
from batch_on_eks.models.prices import PRICES_AS_OF, REGION, eks_cluster_rate, usd
from batch_on_eks.observability import emit
from batch_on_eks.settings import ProvisioningSettings, Settings
from batch_on_eks.workflows.arns import Place, Workflows


def _busy(name: str, refused: ClaimRefused) -> EnvironmentBusy:
    return EnvironmentBusy(
        cause(
            field="name",
            environment=name,
            status=refused.status,
            executionArn=refused.execution_arn,
            rule="another execution is provisioning or tearing down this environment",
        )
    )


def environment_record_step(
    event: dict[str, Any], settings: Settings, provisioning: ProvisioningSettings, function_arn: str
) -> dict[str, Any]:
    """One action on the environment's record, as the provision and teardown workflows name it."""
    record = EnvironmentRecord(settings, provisioning, function_arn)
    action = event.get("action")
    if action == "beginProvisioning":
        return record.begin_provisioning(event.get("input"), str(event["executionArn"]))
    if action == "completeProvisioning":
        return record.complete_provisioning(event["config"])
    if action == "recordFailure":
        return record.record_failure(event["config"], event.get("error") or {})
    if action == "startRollback":
        return record.start_rollback(event["config"], str(event["executionName"]))
    if action == "beginTeardown":
        return record.begin_teardown(event.get("input"), str(event["executionArn"]))
    if action == "completeTeardown":
        return record.complete_teardown(event["config"])
    raise ValueError(f"unknown action {action!r}")


def _check_access_mode(name: str, access_mode: str) -> None:
    """An existing cluster keeps its access mode: EKS cannot take an API cluster back to aws-auth, and a
    switch half-applied (entries made, compute environments unchanged) would be worse than a refusal."""
    cluster = eks.describe_cluster(name)
    wanted = AUTHENTICATION_MODES[access_mode]
    if cluster is not None and cluster.authentication_mode not in (None, wanted):
        raise InvalidInput.field(
            "accessMode",
            f"{access_mode!r} needs a cluster whose authenticationMode is {wanted}; {name}'s is "
            f"{cluster.authentication_mode}: an environment keeps its access mode (tear it down first)",
        )


class EnvironmentRecord:
    def __init__(self, settings: Settings, provisioning: ProvisioningSettings, function_arn: str):
        self.settings = settings
        self.provisioning = provisioning
        self.store = EnvironmentStore(settings.environments_table)
        self.where = Place.of_function(function_arn).as_dict()
        self.workflows = Workflows.of(function_arn, settings.resource_prefix)

    # -- provisioning ---------------------------------------------------------------------------------------
    def begin_provisioning(self, raw_input: Any, execution_arn: str) -> dict[str, Any]:
        """Validate the input and claim the environment (PROVISIONING). Returns the workflow's config."""
        request = ProvisionInput.parse(raw_input, context={"resource_prefix": self.settings.resource_prefix})
        version = choose_version(request.kubernetes_version, request.allow_extended_support, request.name)
        _check_access_mode(request.name, request.access_mode)
        config = {
            **request.model_dump(by_alias=True),
            **self.where,
            "kubernetesVersion": version.version,
            "upgradePolicy": version.support_type,
            "versionStatus": version.status,
            "standardSupportEnds": version.end_of_standard_support,
            "warnings": version.warnings,
        }
        records.claim(
            self.store,
            request.name,
            Status.PROVISIONING,
            execution_arn,
            leave_from=(Status.READY, Status.FAILED, Status.DELETED),
            fields={"namespace": request.namespace, "settings": _dynamo_safe(config)},
            refuse=_busy,
        )
        self.store.update(request.name, {}, timeline_entry("provisioning", f"started by {execution_arn}"))
        return config

    def complete_provisioning(self, config: dict[str, Any]) -> dict[str, Any]:
        """READY, with the outputs (what the blueprint's Terraform outputs gave)."""
        name = config["name"]
        found = self.store.get(name)
        resources = found.resources if found else {}
        outputs = self.outputs(config)
        self.store.update(
            name,
            {
                "status": Status.READY.value,
                "clusterArn": resources.get("clusterArn"),
                "jobQueues": resources.get("jobQueues") or {},
                "outputs": outputs,
            },
            timeline_entry("ready", "environment READY"),
        )
        _emit_duration("ProvisioningSeconds", found)
        return {"name": name, "status": Status.READY.value, "namespace": config["namespace"], **outputs}

    def outputs(self, config: dict[str, Any]) -> dict[str, Any]:
        name, region = config["name"], config["region"]
        queues = {kind.role: job_queue_name(name, kind) for kind in QUEUE_KINDS}
        run_job = self.workflows.run_job
        hello_world = {}
        for role, queue in queues.items():
            execution_input = json.dumps(
                {"environment": name, "jobQueue": queue, "jobName": f"hello-world-{role.lower()}"},
                separators=(",", ":"),
            )
            hello_world[role] = (
                f"aws stepfunctions start-execution --region {region} --state-machine-arn {run_job} "
                f"--input '{execution_input}'"
            )
        return {
            "updateKubeconfigCommand": f"aws eks --region {region} update-kubeconfig --name {name}",
            "jobQueues": queues,
            "jobDefinition": hello_world_job_definition(name),
            "helloWorldCommands": hello_world,
            # Who can use updateKubeconfigCommand: anyone else's kubectl gets 401.
            "clusterAdminPrincipalArns": cluster_admins(self.provisioning, config),
            "kubernetesVersion": config["kubernetesVersion"],
            "upgradePolicy": config["upgradePolicy"],
            "controlPlaneCost": _control_plane_cost(config),
            "warnings": list(config.get("warnings") or []),
        }

    def record_failure(self, config: dict[str, Any], error: dict[str, Any]) -> dict[str, Any]:
        """FAILED, with the failing step, the error and AWS's reason (from the Catch's Error and Cause)."""
        failure = _failure(error)
        found = self.store.get(config["name"])
        tearing_down = found is not None and found.status is Status.DELETING
        emit(
            "TeardownFailed" if tearing_down else "ProvisioningFailed",
            1,
            step=failure.get("step") or "unknown",
        )
        self.store.update(
            config["name"],
            {"status": Status.FAILED.value, "failure": failure},
            timeline_entry(
                "failed",
                f"{failure.get('step', 'unknown step')}: {failure.get('error')}: {failure.get('reason')}",
            ),
        )
        return {"failure": failure, "rollback": bool(config.get("rollbackOnFailure", True))}

    def start_rollback(self, config: dict[str, Any], execution_name: str) -> dict[str, Any]:
        """Start the teardown of what this execution made; its name is derived from the execution's."""
        name = f"rollback-{execution_name}"[:80]
        arn = executions.start(
            self.provisioning.teardown_state_machine_arn,
            name,
            {
                "name": config["name"],
                "pollIntervalSeconds": config["pollIntervalSeconds"],
                "maxChecks": config["maxChecks"],
            },
        ).execution_arn
        self.store.update(
            config["name"], {"rollbackExecutionArn": arn}, timeline_entry("rollback", f"started {arn}")
        )
        return {"rollbackExecutionArn": arn}

    # -- teardown -------------------------------------------------------------------------------------------
    def begin_teardown(self, raw_input: Any, execution_arn: str) -> dict[str, Any]:
        request = TeardownInput.parse(raw_input, context={"resource_prefix": self.settings.resource_prefix})
        old = records.claim(
            self.store,
            request.name,
            Status.DELETING,
            execution_arn,
            leave_from=(Status.READY, Status.FAILED, Status.DELETED, Status.DELETING),
            fields={},
            refuse=_busy,
        )
        self.store.update(request.name, {}, timeline_entry("teardown", f"started by {execution_arn}"))
        namespace = (old.namespace if old else None) or DEFAULT_NAMESPACE
        return {**request.model_dump(by_alias=True), "namespace": namespace, **self.where}

    def complete_teardown(self, config: dict[str, Any]) -> dict[str, Any]:
        name = config["name"]
        _emit_duration("TeardownSeconds", self.store.get(name))
        self.store.update(
            name,
            {
                "status": Status.DELETED.value,
                "jobQueues": {},
                "outputs": {},
                "resources": {},
                "kubernetes": None,
            },
            timeline_entry("deleted", "everything this control plane made for the environment is gone"),
        )
        return {"name": name, "status": Status.DELETED.value}


def _emit_duration(name: str, found: Environment | None) -> None:
    """From the workflow's claim of the environment (its first step) to now, its last."""
    if found is not None and found.claimed_at is not None:
        emit(name, max(0, now_ms() - found.claimed_at) / 1000, "Seconds")


def _control_plane_cost(config: dict[str, Any]) -> str:
    """The EKS cluster's hourly rate for the version it got, and when that changes."""
    extended = config["versionStatus"] == EXTENDED_SUPPORT
    rate = eks_cluster_rate(extended)
    if extended:
        support = "EKS extended support"
    elif config["upgradePolicy"] == "STANDARD":
        support = (
            f"EKS standard support until {config['standardSupportEnds']}, when EKS upgrades the cluster "
            f"to the next version rather than bill extended support"
        )
    else:
        extended_rate = usd(eks_cluster_rate(True).usd)
        support = (
            f"EKS standard support until {config['standardSupportEnds']}, then {extended_rate} in extended"
        )
    return (
        f"{usd(rate.usd)} per {rate.per} ({support}); {REGION} list price as of {PRICES_AS_OF}, {rate.source}"
    )


def _failure(error: dict[str, Any]) -> dict[str, Any]:
    """The Catch's ``{"Error", "Cause"}``: a Lambda error's Cause is JSON whose errorMessage is our JSON."""
    failure: dict[str, Any] = {"error": error.get("Error")}
    text = error.get("Cause") or ""
    try:
        lambda_error = json.loads(text)
        message = lambda_error.get("errorMessage", text) if isinstance(lambda_error, dict) else text
    except ValueError:
        message = text
    try:
        ours = json.loads(message)
    except (TypeError, ValueError):
        ours = None
    if isinstance(ours, dict) and "step" in ours:
        failure.update(step=ours["step"], reason=ours.get("reason"))
    else:
        failure["reason"] = message
    return failure


def _dynamo_safe(value: Any) -> Any:
    """DynamoDB's resource layer refuses floats; the config has none but this keeps it honest."""
    return json.loads(json.dumps(value), parse_float=str)
