"""The Powertools Logger and the control plane's metrics, created once and shared by every module.

The Tracer (X-Ray SDK) roughly doubles a cold start; Lambda's active tracing (``Tracing: Active`` in the
template) already traces each invocation and its AWS calls' latency at the edge, so it is not used.

Metrics are CloudWatch embedded metric format (EMF) lines on stdout, one per metric, written at once
(Powertools' ``single_metric``): nothing is lost when the invocation fails afterwards, and no metric set is
shared between invocations. Their namespace is ``POWERTOOLS_METRICS_NAMESPACE`` (the template's), their
dimensions the service and at most the environment, the queue and an outcome or step: never a run id, which
would make a metric per run (docs/operations.md lists them all).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()

# The template's POWERTOOLS_METRICS_NAMESPACE (Globals), for a domain function called outside Lambda (a
# script, a test): a metric is never the reason a step fails. A test keeps the two equal.
DEFAULT_NAMESPACE = "BatchOnEks"


def emit(
    name: str, value: float, unit: MetricUnit | str = MetricUnit.Count, **dimensions: str | None
) -> None:
    """One metric, now. A dimension given as None or "" is left out (an unknown queue is not a queue)."""
    as_unit = unit if isinstance(unit, MetricUnit) else MetricUnit(unit)
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    with single_metric(name=name, unit=as_unit, value=value, namespace=namespace) as metric:
        for key, dimension in dimensions.items():
            if dimension:
                metric.add_dimension(name=key, value=dimension)


def about_run(run_id: str | None, job_id: str | None = None) -> None:
    """Every later log line of this invocation carries the run's id and, once known, its job's id, as keys
    of their own (docs/operations.md's Logs Insights query finds one run's lines across functions).

    Thread-safe keys (a context variable): ``inject_lambda_context(clear_state=True)`` clears them when the
    next invocation starts, and invocations running side by side in one process (the embedded AWS's
    runtime) never see each other's."""
    keys = {"run_id": run_id, "job_id": job_id}
    logger.thread_safe_append_keys(**{key: value for key, value in keys.items() if value})


def about_no_run() -> None:
    """The next lines are about no particular run (the reconciler between two runs)."""
    logger.thread_safe_remove_keys(["run_id", "job_id"])
