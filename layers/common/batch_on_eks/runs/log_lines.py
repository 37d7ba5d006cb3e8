"""The last lines a run's container printed (``GET /jobs/{id}/logs``), from CloudWatch Logs, where
Container Insights' Fluent Bit ships them."""

from __future__ import annotations

import json
from typing import Any

from batch_on_eks.aws import logs
from batch_on_eks.models.job_event import BatchJobDetail
from batch_on_eks.runs import log_links, views
from batch_on_eks.runs.status import find_run
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows

# A log line of Container Insights can be up to 256 KiB; a Lambda answer at most 6 MB. The lines handed
# back stop at this many bytes (the newest are kept), and ``truncated`` says so.
MAX_LOG_BYTES = 1024 * 1024


def _log_line(message: str) -> str:
    """The line the container printed: Fluent Bit ships each as a JSON record whose ``log`` field it is."""
    try:
        record = json.loads(message)
    except ValueError:
        return message
    if isinstance(record, dict) and isinstance(record.get("log"), str):
        return str(record["log"]).rstrip("\n")
    return message


def last_log_lines(run_id: str, limit: int, settings: Settings, workflows: Workflows) -> dict[str, Any]:
    """The last ``limit`` lines of the run's application container (its current attempt); none before its
    pod has started or before Fluent Bit has shipped any. RunNotFound."""
    run, _execution = find_run(run_id, settings, workflows)
    answer: dict[str, Any] = {
        "runId": run_id,
        "logGroup": None,
        "logStream": None,
        "lines": [],
        "truncated": False,
    }
    detail = BatchJobDetail.from_dict(run.last_detail) if run is not None and run.last_detail else None
    container = views.container_name(run, detail) if run is not None else None
    pod = detail.current_pod() if detail else None
    if run is None or pod is None or not pod.node_name or container is None:
        return answer
    group = log_links.application_log_group(run.cluster_name)
    stream = views.log_stream(run, pod, pod.node_name, container)
    answer["logGroup"] = group
    if stream is None:
        return answer
    answer["logStream"] = stream
    kept: list[dict[str, Any]] = []
    size = 0
    for at, message in reversed(logs.last_events(group, stream, limit)):
        line = _log_line(message)
        size += len(line.encode())
        if size > MAX_LOG_BYTES:
            answer["truncated"] = True
            break
        kept.append({"timestamp": at, "message": line})
    answer["lines"] = list(reversed(kept))
    return answer
