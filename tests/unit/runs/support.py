"""A run as the runs table holds it, for the pure tests of what is derived from it."""

from __future__ import annotations

from typing import Any

from batch_on_eks.models.run import Run


def a_run(**fields: Any) -> Run:
    """A run of the blueprint's hello-world on its on-demand queue; ``fields`` replace the defaults."""
    defaults: dict[str, Any] = {
        "run_id": "run-1",
        "environment": "doeks-aws-batch",
        "cluster_name": "doeks-aws-batch",
        "namespace": "doeks-aws-batch",
        "queue_arn": "arn:aws:batch:us-east-1:123456789012:job-queue/doeks-aws-batch-JQ1_OD",
        "job_definition": "doeks-aws-batch-hello-world",
        "job_name": "hello",
        "submit_request": {},
        "created_at": 0,
        "deadline": 0,
        "runnable_limit_seconds": 3600,
        "heartbeat_seconds": 300,
    }
    return Run(**{**defaults, **fields})
