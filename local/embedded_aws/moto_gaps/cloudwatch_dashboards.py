"""PutDashboard's checks of the dashboard's name and body, as AWS applies them.

moto 5.2.5 checks only that the body parses as JSON; a body that CloudWatch refuses (no ``widgets``, a metric
widget without ``metrics`` or ``region``, a metric that is neither ``[namespace, name, dimension name, value,
..., {options}]`` nor ``[{"expression": ...}]``, a widget wider than the 24-column grid) deployed here and
would fail on AWS. Here it fails with AWS's ``InvalidParameterInput`` (botocore's
``DashboardInvalidInputError``), naming the data path, as AWS's DashboardValidationMessages do.

The rules are AWS's: PutDashboard (CloudWatch API Reference,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html: a name of at most
255 characters of A-Z, a-z, 0-9, "-" and "_") and "Dashboard body structure and syntax"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html:
``widgets`` is required; a widget's ``type`` is metric, text, log, alarm, explorer or custom; ``width`` 1 to
24, ``height`` 1 to 1000; a metric widget's ``metrics`` and ``region`` are required; each metric array is a
namespace, a name, name/value pairs of dimensions and an optional rendering object, or an expression
object).
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cloudwatch.exceptions import DashboardInvalidInputError
from moto.cloudwatch.models import CloudWatchBackend, Dashboard

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_WIDGET_TYPES = {"metric", "text", "log", "alarm", "explorer", "custom"}
_original_put_dashboard = CloudWatchBackend.put_dashboard


def _metric_problem(path: str, metric: Any) -> str | None:
    if not isinstance(metric, list) or not metric:
        return f"{path}: a metric is a non-empty array"
    if isinstance(metric[0], dict):
        has_expression = isinstance(metric[0].get("expression"), str)
        return None if len(metric) == 1 and has_expression else f"{path}: an expression object alone"
    options = metric[-1] if isinstance(metric[-1], dict) else None
    names = metric[:-1] if options is not None else metric
    if len(names) < 2 or not all(isinstance(part, str) and part for part in names):
        return f"{path}: [namespace, metric name, dimension name, dimension value, ...]"
    if len(names) % 2:
        return f"{path}: every dimension name needs its value"
    return None


def _widget_problems(index: int, widget: Any) -> list[str]:
    path = f"/widgets/{index}"
    if not isinstance(widget, dict):
        return [f"{path}: a widget is an object"]
    problems = []
    if widget.get("type") not in _WIDGET_TYPES:
        problems.append(f"{path}/type: one of {sorted(_WIDGET_TYPES)}")
    for key, most in (("width", 24), ("height", 1000)):
        value = widget.get(key)
        if value is not None and not (isinstance(value, int) and 1 <= value <= most):
            problems.append(f"{path}/{key}: an integer from 1 to {most}")
    properties = widget.get("properties")
    if not isinstance(properties, dict):
        return [*problems, f"{path}/properties: required, an object"]
    if widget.get("type") == "metric":
        if not isinstance(properties.get("region"), str):
            problems.append(f"{path}/properties/region: required")
        metrics = properties.get("metrics")
        if not isinstance(metrics, list):
            problems.append(f"{path}/properties/metrics: required, an array")
        else:
            for position, metric in enumerate(metrics):
                problem = _metric_problem(f"{path}/properties/metrics/{position}", metric)
                if problem:
                    problems.append(problem)
    return problems


def dashboard_problems(name: str, body: str) -> list[str]:
    """What AWS's PutDashboard would refuse in this name and body (empty: nothing)."""
    problems = [] if _NAME.match(name) else ["DashboardName: 1 to 255 of A-Z, a-z, 0-9, '-' and '_'"]
    try:
        parsed = json.loads(body)
    except ValueError:
        return [*problems, "DashboardBody: not JSON"]
    widgets = parsed.get("widgets") if isinstance(parsed, dict) else None
    if not isinstance(widgets, list):
        return [*problems, "/widgets: required, an array"]
    for index, widget in enumerate(widgets):
        problems += _widget_problems(index, widget)
    return problems


def _put_dashboard(self: CloudWatchBackend, name: str, body: str) -> Dashboard:
    problems = dashboard_problems(name, body)
    if problems:
        raise DashboardInvalidInputError("; ".join(problems))
    return _original_put_dashboard(self, name, body)


def install() -> None:
    CloudWatchBackend.put_dashboard = _put_dashboard  # type: ignore[method-assign]
