"""The dashboard's and the alarms' metrics, and whether each is real: a custom one must be one the functions
emit (their EMF lines), an AWS one must be in AWS's documented list for its namespace (aws_metrics.json)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCUMENTED = json.loads((Path(__file__).parent / "aws_metrics.json").read_text())
_SEARCH = re.compile(r"SEARCH\('(?P<query>[^']*)'")
_TERM = re.compile(r'(?P<key>Namespace|MetricName)="(?P<value>[^"]+)"')


@dataclass(frozen=True)
class MetricReference:
    where: str  # the widget's title or the alarm's name
    namespace: str | None
    name: str | None
    dimensions: tuple[str, ...]  # the dimension names (none for a SEARCH)


def _from_array(where: str, metric: list[Any]) -> MetricReference:
    if isinstance(metric[0], dict):
        terms = {}
        for search in _SEARCH.finditer(str(metric[0].get("expression", ""))):
            terms.update({t["key"]: t["value"] for t in _TERM.finditer(search["query"])})
        return MetricReference(where, terms.get("Namespace"), terms.get("MetricName"), ())
    names = [part for part in metric if isinstance(part, str)]
    return MetricReference(where, names[0], names[1], tuple(names[2::2]))


def dashboard_metrics(body: dict[str, Any]) -> list[MetricReference]:
    found = []
    for widget in body["widgets"]:
        properties = widget.get("properties", {})
        for metric in properties.get("metrics", []):
            found.append(_from_array(str(properties.get("title")), metric))
    return found


def alarm_metrics(name: str, alarm: dict[str, Any]) -> list[MetricReference]:
    """An alarm's metrics, as PutMetricAlarm (or the template's properties) has them."""
    if "MetricName" in alarm:
        dimensions = tuple(d["Name"] for d in alarm.get("Dimensions", []))
        return [MetricReference(name, alarm["Namespace"], alarm["MetricName"], dimensions)]
    found = []
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dimensions = tuple(d["Name"] for d in metric.get("Dimensions", []))
            found.append(MetricReference(name, metric["Namespace"], metric["MetricName"], dimensions))
    return found


def emitted_metrics(emf_lines: list[dict[str, Any]]) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    """(namespace, metric name) -> the dimension sets it was emitted with, from EMF lines."""
    found: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for line in emf_lines:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                for dimensions in directive["Dimensions"] or [[]]:
                    key = (directive["Namespace"], metric["Name"])
                    found.setdefault(key, set()).add(tuple(sorted(dimensions)))
    return found


def problems(
    references: list[MetricReference],
    custom_namespace: str,
    emitted: dict[tuple[str, str], set[tuple[str, ...]]],
) -> list[str]:
    """Each reference that is neither emitted (custom) nor documented by AWS (AWS/...), with the reason."""
    found = []
    for ref in references:
        if ref.namespace is None or ref.name is None:
            found.append(f"{ref.where}: a metric whose namespace and name cannot be read")
        elif ref.namespace == custom_namespace:
            sets = emitted.get((ref.namespace, ref.name))
            if sets is None:
                found.append(f"{ref.where}: {ref.name} is not a metric the functions emit")
            elif ref.dimensions and tuple(sorted(ref.dimensions)) not in sets:
                found.append(f"{ref.where}: {ref.name} is never emitted with dimensions {ref.dimensions}")
        elif ref.namespace not in DOCUMENTED:
            found.append(f"{ref.where}: namespace {ref.namespace} is not in aws_metrics.json")
        else:
            documented = DOCUMENTED[ref.namespace]
            if ref.name not in documented["metrics"]:
                found.append(
                    f"{ref.where}: {ref.namespace} {ref.name} is not documented ({documented['source']})"
                )
            for dimension in ref.dimensions:
                if dimension not in documented["dimensions"]:
                    found.append(f"{ref.where}: {ref.namespace} has no dimension {dimension}")
    return found
