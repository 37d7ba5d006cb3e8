"""A run's job as people see it, from what the runs table knows: its container, pod, node, exit code, log
links and timeline. ``GET /jobs/{id}``, the run's result and its "Run Finished" event all read them here."""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import logs
from batch_on_eks.clock import iso
from batch_on_eks.models.job_event import BatchJobDetail, PodLocation
from batch_on_eks.models.job_status import JobStatus
from batch_on_eks.models.run import Run, TimelineEntry
from batch_on_eks.runs import log_links as links


def container_name(run: Run, detail: BatchJobDetail | None) -> str | None:
    """The application container: the one the run asked for, else the job definition's first."""
    if run.container_name:
        return run.container_name
    pod = detail.pod_properties if detail else None
    return pod.containers[0].name if pod is not None and pod.containers else None


def timeline(run: Run) -> list[dict[str, Any]]:
    """Each status the job went through, once per attempt, in the order of its lifecycle, with the time it
    was first reported and by what (``event`` or ``describe``).

    The order is the lifecycle's (attempt, then status; the terminal status last), not the reports' times:
    reports arrive in any order, and their times do not compare across sources (an event's ``time`` has
    whole seconds, a DescribeJobs report milliseconds). The runs table records a status once per attempt;
    a run recorded before it did may hold one twice (its event, and a Reconcile that saw it too): it is
    listed once, as first reported.
    """
    first: dict[tuple[int, JobStatus], TimelineEntry] = {}
    for entry in sorted(run.timeline, key=lambda e: e.at):
        first.setdefault((entry.attempt, entry.status), entry)
    in_lifecycle = sorted(
        first.values(), key=lambda e: (e.status.is_terminal, e.attempt, e.status.rank, e.at)
    )
    return [
        {"status": e.status.value, "at": iso(e.at), "attempt": e.attempt, "source": e.source}
        for e in in_lifecycle
    ]


def log_stream(run: Run, pod: PodLocation, node_name: str, container: str) -> str | None:
    """The container's Container Insights stream, looked up in CloudWatch Logs (None before Fluent Bit has
    shipped a line): its name ends with the container's ID, which only the lookup tells."""
    prefix = links.stream_prefix(node_name, pod.pod_name, pod.namespace or run.namespace, container)
    group = links.application_log_group(run.cluster_name)
    streams = logs.streams_with_prefix(group, prefix)
    return next((s for s in streams if links.container_id_of(s, prefix)), None)


def known_of_the_job(run: Run, region: str) -> dict[str, Any]:
    """The run's job as its newest status report has it. The log links are computed without looking the
    stream up: the group and the Logs Insights query on the pod's name work without it."""
    detail = BatchJobDetail.from_dict(run.last_detail) if run.last_detail else None
    container = container_name(run, detail)
    pod = detail.current_pod() if detail else None
    namespace = (pod.namespace if pod else None) or run.namespace
    known: dict[str, Any] = {
        "environment": run.environment,
        "jobName": run.job_name,
        "jobId": run.job_id,
        "jobStatus": run.job_status.value if run.job_status else None,
        "statusReason": run.status_reason,
        "exitCode": detail.exit_code(container) if detail else None,
        "containerReason": detail.container_reason(container) if detail else None,
        "podName": pod.pod_name if pod else None,
        "nodeName": pod.node_name if pod else None,
        "namespace": namespace,
        "attempts": run.job_attempts,
        "timeline": timeline(run),
        "createdAt": iso(run.created_at),
    }
    if pod is not None and pod.node_name and container is not None:
        known["logLinks"] = links.log_links(
            region, run.cluster_name, namespace, pod.pod_name, pod.node_name, container, None
        ).to_dict()
    return known
