"""AWS Batch: an environment's compute environments, job queues and job definitions, and Batch's
service-linked role, for the provision and teardown steps.

"Already exists" and "already gone" are answers, not errors.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.clients import client
from batch_on_eks.errors import AwsRequestFailed
from batch_on_eks.models.resources import AwsResource, JobDefinitionRevision

BATCH_SERVICE_LINKED_ROLE = "AWSServiceRoleForBatch"


def _batch() -> Any:
    return client("batch")


def _already_exists(error: AwsRequestFailed) -> bool:
    # Batch answers a duplicate name with a ClientException "Object already exists".
    return error.code == "ClientException" and "already exist" in error.reason


def ensure_service_linked_role() -> None:
    """AWSServiceRoleForBatch, which Batch uses to manage the cluster's nodes and pods: looked up first (a
    re-run should not depend on an error's wording), created when missing."""
    iam = client("iam")
    try:
        iam.get_role(RoleName=BATCH_SERVICE_LINKED_ROLE)
        return
    except AwsRequestFailed as error:
        if error.code != "NoSuchEntity":
            raise
    try:
        iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    except AwsRequestFailed as error:
        # Created by someone else in between: IAM answers that the name "has been taken".
        if error.code != "InvalidInput" or "has been taken" not in error.reason:
            raise


def _resource(described: dict[str, Any], kind: str) -> AwsResource:
    return AwsResource(
        name=described[f"{kind}Name"],
        arn=described[f"{kind}Arn"],
        status=described.get("status"),
        tags=described.get("tags") or {},
        state=described.get("state"),
        status_reason=described.get("statusReason"),
    )


def describe_compute_environment(name: str) -> AwsResource | None:
    found = _batch().describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    return _resource(found[0], "computeEnvironment") if found else None


def create_compute_environment(request: dict[str, Any]) -> None:
    try:
        _batch().create_compute_environment(**request)
    except AwsRequestFailed as error:
        if not _already_exists(error):
            raise


def disable_compute_environment(name: str) -> None:
    _batch().update_compute_environment(computeEnvironment=name, state="DISABLED")


def delete_compute_environment(name: str) -> None:
    _batch().delete_compute_environment(computeEnvironment=name)


def describe_job_queue(name: str) -> AwsResource | None:
    found = _batch().describe_job_queues(jobQueues=[name])["jobQueues"]
    return _resource(found[0], "jobQueue") if found else None


def create_job_queue(request: dict[str, Any]) -> None:
    try:
        _batch().create_job_queue(**request)
    except AwsRequestFailed as error:
        if not _already_exists(error):
            raise


def disable_job_queue(name: str) -> None:
    _batch().update_job_queue(jobQueue=name, state="DISABLED")


def delete_job_queue(name: str) -> None:
    _batch().delete_job_queue(jobQueue=name)


def job_definition_revision(described: dict[str, Any]) -> JobDefinitionRevision:
    return JobDefinitionRevision(
        arn=described["jobDefinitionArn"],
        name=described["jobDefinitionName"],
        revision=int(described["revision"]),
        status=described.get("status", "ACTIVE"),
        tags=described.get("tags") or {},
        eks_properties=described.get("eksProperties"),
        retry_strategy=described.get("retryStrategy"),
    )


def active_job_definitions(name: str) -> list[JobDefinitionRevision]:
    """Every ACTIVE revision of job definition ``name``."""
    paginator = _batch().get_paginator("describe_job_definitions")
    return [
        job_definition_revision(definition)
        for page in paginator.paginate(jobDefinitionName=name, status="ACTIVE")
        for definition in page["jobDefinitions"]
    ]


def active_job_definition(name: str) -> JobDefinitionRevision | None:
    """The ACTIVE job definition ``name`` (a name: its latest revision; ``name:revision``; or an ARN)."""
    batch = _batch()
    if ":" in name:  # name:revision or an ARN
        found = batch.describe_job_definitions(jobDefinitions=[name])["jobDefinitions"]
    else:
        found = batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE")["jobDefinitions"]
    active = [job_definition_revision(d) for d in found if d.get("status", "ACTIVE") == "ACTIVE"]
    return max(active, key=lambda d: d.revision, default=None)


def register_job_definition(request: dict[str, Any]) -> str:
    return str(_batch().register_job_definition(**request)["jobDefinitionArn"])


def deregister_job_definition(arn: str) -> None:
    _batch().deregister_job_definition(jobDefinition=arn)
