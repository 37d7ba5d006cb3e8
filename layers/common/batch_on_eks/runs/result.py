"""The Result step: the outcome with pod, node and log links; ``error``/``cause`` when the job failed."""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import batch_jobs as batch
from batch_on_eks.aws.array_children import ArrayChildrenStore
from batch_on_eks.aws.runs_table import RunStore
from batch_on_eks.errors import InvalidInput, cause
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run
from batch_on_eks.runs import log_links as links
from batch_on_eks.runs import views as run_views
from batch_on_eks.settings import Settings


def _links(run: Run, detail: BatchJobDetail, region: str) -> dict[str, Any] | None:
    """The log links, with the stream (the run has ended: Fluent Bit has had its chance to ship)."""
    pod = detail.current_pod()
    container = run_views.container_name(run, detail)
    if pod is None or pod.node_name is None or container is None:
        return None
    stream = run_views.log_stream(run, pod, pod.node_name, container)
    namespace = pod.namespace or run.namespace
    found = links.log_links(
        region, run.cluster_name, namespace, pod.pod_name, pod.node_name, container, stream
    )
    return found.to_dict()


def run_result(run_id: str, settings: Settings) -> dict[str, Any]:
    """The run's outcome, with the pod, the node and the log links; ``error``/``cause`` when it failed."""
    store = RunStore(settings.runs_table, settings.finished_run_ttl_seconds)
    run = store.get(run_id)
    if run is None or run.last_detail is None:
        raise InvalidInput.field("runId", f"no finished run {run_id!r}")
    detail = BatchJobDetail.from_dict(run.last_detail)
    container = run_views.container_name(run, detail)
    if detail.needs_describe(container) and run.job_id is not None:
        detail = batch.describe_job(run.job_id) or detail
    pod = detail.current_pod()
    output: dict[str, Any] = {
        "runId": run.run_id,
        "environment": run.environment,
        "jobId": run.job_id,
        "jobName": run.job_name,
        "status": detail.status.value,
        "statusReason": detail.status_reason,
        "exitCode": detail.exit_code(container),
        "containerReason": detail.container_reason(container),
        "podName": pod.pod_name if pod else None,
        "nodeName": pod.node_name if pod else None,
        "namespace": (pod.namespace if pod else None) or run.namespace,
        "attempts": detail.finished_attempts,
        "timeline": run_views.timeline(run),
        "logLinks": _links(run, detail, settings.aws_region),
    }
    if detail.is_array_parent and detail.array_properties is not None:
        output["arrayProperties"] = detail.array_properties.to_dict()
    if run.array_size and run.job_id is not None:
        children = ArrayChildrenStore(settings.runs_table, settings.finished_run_ttl_seconds)
        output["arrayChildren"] = children.summary(run.job_id, run.array_size).to_dict()
    if detail.status is JobStatus.SUCCEEDED:
        return output
    # An array parent never runs a pod itself (no RUNNING, no exit code): it failed because children did.
    ran = detail.is_array_parent or any(e.status is JobStatus.RUNNING for e in run.timeline)
    error = (
        "JobCancelled"
        if run.cancel_requested or (output["exitCode"] is None and not ran)
        else "BatchJobFailed"
    )
    output["error"] = error
    output["cause"] = cause(
        statusReason=detail.status_reason,
        exitCode=output["exitCode"],
        reason=output["containerReason"],
        jobId=run.job_id,
        podName=output["podName"],
        logLinks=output["logLinks"],
        arrayProperties=output.get("arrayProperties"),
        arrayChildren=output.get("arrayChildren"),
        cancelled=run.cancel_requested,
    )
    return output
