"""AWS Batch: an environment's compute environments, job queues and job definitions, and Batch's
service-linked role, for the provision and teardown steps.

Plain JSON-safe values in and out; "already exists" and "already gone" are answers, not errors.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from batch_on_eks.aws.clients import client

BATCH_SERVICE_LINKED_ROLE = "AWSServiceRoleForBatch"


def _batch() -> Any:
    return client("batch")


def _already_exists(error: ClientError) -> bool:
    # Batch answers a duplicate name with a ClientException "Object already exists".
    return error.response["Error"]["Code"] == "ClientException" and "already exist" in str(
        error.response["Error"].get("Message", "")
    )


def ensure_service_linked_role() -> None:
    """AWSServiceRoleForBatch, which Batch uses to manage the cluster's nodes and pods: looked up first (a
    re-run should not depend on an error's wording), created when missing."""
    iam = client("iam")
    try:
        iam.get_role(RoleName=BATCH_SERVICE_LINKED_ROLE)
        return
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
    try:
        iam.create_service_linked_role(AWSServiceName="batch.amazonaws.com")
    except ClientError as error:
        # Created by someone else in between: IAM answers that the name "has been taken".
        message = str(error.response["Error"].get("Message", ""))
        if error.response["Error"]["Code"] != "InvalidInput" or "has been taken" not in message:
            raise


def describe_compute_environment(name: str) -> dict[str, Any] | None:
    found = _batch().describe_compute_environments(computeEnvironments=[name])["computeEnvironments"]
    if not found:
        return None
    ce = found[0]
    return {
        "name": ce["computeEnvironmentName"],
        "arn": ce["computeEnvironmentArn"],
        "state": ce.get("state"),
        "status": ce.get("status"),
        "statusReason": ce.get("statusReason"),
        "tags": ce.get("tags") or {},
    }


def create_compute_environment(request: dict[str, Any]) -> None:
    try:
        _batch().create_compute_environment(**request)
    except ClientError as error:
        if not _already_exists(error):
            raise


def disable_compute_environment(name: str) -> None:
    _batch().update_compute_environment(computeEnvironment=name, state="DISABLED")


def delete_compute_environment(name: str) -> None:
    _batch().delete_compute_environment(computeEnvironment=name)


def describe_job_queue(name: str) -> dict[str, Any] | None:
    found = _batch().describe_job_queues(jobQueues=[name])["jobQueues"]
    if not found:
        return None
    queue = found[0]
    return {
        "name": queue["jobQueueName"],
        "arn": queue["jobQueueArn"],
        "state": queue.get("state"),
        "status": queue.get("status"),
        "statusReason": queue.get("statusReason"),
        "tags": queue.get("tags") or {},
    }


def create_job_queue(request: dict[str, Any]) -> None:
    try:
        _batch().create_job_queue(**request)
    except ClientError as error:
        if not _already_exists(error):
            raise


def disable_job_queue(name: str) -> None:
    _batch().update_job_queue(jobQueue=name, state="DISABLED")


def delete_job_queue(name: str) -> None:
    _batch().delete_job_queue(jobQueue=name)


def active_job_definitions(name: str) -> list[dict[str, Any]]:
    """Every ACTIVE revision of job definition ``name``: arn, revision, tags."""
    paginator = _batch().get_paginator("describe_job_definitions")
    found = []
    for page in paginator.paginate(jobDefinitionName=name, status="ACTIVE"):
        for definition in page["jobDefinitions"]:
            found.append(
                {
                    "arn": definition["jobDefinitionArn"],
                    "revision": definition["revision"],
                    "tags": definition.get("tags") or {},
                    "eksProperties": definition.get("eksProperties"),
                    "retryStrategy": definition.get("retryStrategy"),
                }
            )
    return found


def register_job_definition(request: dict[str, Any]) -> str:
    return str(_batch().register_job_definition(**request)["jobDefinitionArn"])


def deregister_job_definition(arn: str) -> None:
    _batch().deregister_job_definition(jobDefinition=arn)
