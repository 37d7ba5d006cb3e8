"""Where a Batch-on-EKS job's container logs live in CloudWatch, and console links that open them.

Batch deletes a job's pod soon after it ends, so its output survives only because Container Insights'
Fluent Bit ships each container's lines to CloudWatch Logs under a predictable group and stream name
(docs/architecture.md, "Log links"). Everything here is pure string building: the caller does the one AWS call
(a ``logStreamNamePrefix`` lookup with :func:`stream_prefix`) and passes what it found to
:func:`log_links`. The console formats are not documented by AWS; each function says which format it
reproduces and the tests pin them with exact strings and round trips.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from urllib.parse import quote

# containerd and Docker IDs: 64 lowercase hex digits (any non-empty run is accepted, case-insensitively).
_CONTAINER_ID = re.compile(r"[0-9a-fA-F]+")

# Logs Insights caps a query's results at 10,000 rows; a job's output beyond that is better read from the
# stream itself, which the stream link opens.
INSIGHTS_LIMIT = 10_000

# The Insights link opens a relative window ending "now": wide enough that a link copied from a run's
# output still finds the job the next day, narrow enough that the query scans one day of one group.
INSIGHTS_WINDOW_SECONDS = 86_400


def application_log_group(cluster_name: str) -> str:
    """The Container Insights group that receives every application container's stdout and stderr."""
    return f"/aws/containerinsights/{cluster_name}/application"


def stream_prefix(node_name: str, pod_name: str, namespace: str, container: str) -> str:
    """The stream name up to the container ID, for a ``logStreamNamePrefix`` lookup.

    Fluent Bit names the stream after the kubelet's log file, which ends with the container ID; that ID is
    not known until the container has started, so the stream is found by everything before it. The
    trailing ``-`` keeps container ``app`` from matching ``app2``, but not ``app-sidecar``: filter what the
    lookup returns with :func:`container_id_of`.
    """
    return f"{node_name}-application.var.log.containers.{pod_name}_{namespace}_{container}-"


def stream_name(node_name: str, pod_name: str, namespace: str, container: str, container_id: str) -> str:
    """The full stream name Fluent Bit creates, once the container ID is known."""
    return f"{stream_prefix(node_name, pod_name, namespace, container)}{container_id}.log"


def container_id_of(stream: str, prefix: str) -> str | None:
    """The container ID of a stream a prefix lookup returned, or None if it is another container's.

    A prefix lookup for container ``app`` also returns ``app-sidecar``'s streams
    (``...app-sidecar-<id>.log``); only a stream whose remainder is a bare hexadecimal container ID plus
    ``.log`` is this container's.
    """
    if not stream.startswith(prefix) or not stream.endswith(".log"):
        return None
    container_id = stream[len(prefix) : -len(".log")]
    return container_id if _CONTAINER_ID.fullmatch(container_id) else None


def console_encode(value: str) -> str:
    """Encode one path segment of a CloudWatch console deep link.

    The console reads its route from the URL fragment, where ``%`` is not safe to carry through its
    router, so it percent-encodes each segment twice and then writes ``%`` as ``$`` (``/`` becomes
    ``$252F``). ``safe=""`` on both passes encodes ``/`` too; non-ASCII text is encoded as UTF-8.
    """
    return quote(quote(value, safe=""), safe="").replace("%", "$")


def _console_home(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"


def log_group_console_url(region: str, group: str) -> str:
    """The console page of a log group: its streams, newest first, even before the job's stream exists."""
    return f"{_console_home(region)}#logsV2:log-groups/log-group/{console_encode(group)}"


def log_stream_console_url(region: str, group: str, stream: str) -> str:
    """The console page showing one stream's events: the job's output, line by line."""
    return f"{log_group_console_url(region, group)}/log-events/{console_encode(stream)}"


def _insights_string_literal(value: str) -> str:
    """A double-quoted Logs Insights string literal holding ``value`` verbatim.

    Pod names are DNS labels and never contain quotes, but the value comes from an event payload: escaping
    the backslash first and then the quote means no input can close the literal and inject query text.
    """
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def insights_query(pod_name: str) -> str:
    """A Logs Insights query for one pod's lines, oldest first.

    It filters on ``kubernetes.pod_name``, the field Container Insights' Fluent Bit adds to every record,
    so it works before the stream has been found and covers every container of the pod; ``log`` is the
    line the container printed.
    """
    return (
        "fields @timestamp, log\n"
        f"| filter kubernetes.pod_name = {_insights_string_literal(pod_name)}\n"
        "| sort @timestamp asc\n"
        f"| limit {INSIGHTS_LIMIT}"
    )


def _jsurl_escape(value: str) -> str:
    """JSURL's escaping of a string value (Sage/jsurl, v1 syntax).

    Letters, digits, ``_``, ``-`` and ``.`` stay; ``$`` becomes ``!``; any other character becomes
    ``*xx`` (two lowercase hex digits) or, above U+00FF, ``**xxxx`` per UTF-16 code unit, as the
    console's JavaScript sees strings. Escaping everything else means a value can never contain the
    ``~``, ``(``, ``)`` or ``'`` that delimit the structure, nor the ``%`` or ``$`` of the outer encoding.
    """
    out: list[str] = []
    for char in value:
        if char.isascii() and (char.isalnum() or char in "_-."):
            out.append(char)
        elif char == "$":
            out.append("!")
        elif ord(char) < 0x100:
            out.append(f"*{ord(char):02x}")
        else:
            units = char.encode("utf-16-be")
            out.extend(f"**{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))
    return "".join(out)


def _jsurl(value: object) -> str:
    """JSURL: JSON with ``{}`` as ``~(...)``, arrays as ``~(~a~b)``, strings as ``~'escaped``."""
    if isinstance(value, bool):
        return f"~{str(value).lower()}"
    if isinstance(value, int):
        return f"~{value}"
    if isinstance(value, str):
        return f"~'{_jsurl_escape(value)}"
    if isinstance(value, list):
        return "~(" + ("".join(_jsurl(item) for item in value) or "~") + ")"
    if isinstance(value, dict):
        return "~(" + "~".join(f"{_jsurl_escape(key)}{_jsurl(item)}" for key, item in value.items()) + ")"
    raise TypeError(f"JSURL cannot encode {type(value).__name__}")


def insights_console_url(
    region: str, group: str, query: str, *, window_seconds: int = INSIGHTS_WINDOW_SECONDS
) -> str:
    """The console link that opens Logs Insights with ``query`` ready to run on ``group``.

    Format (undocumented; reproduced from links the console itself produces, see below):

        #logsV2:logs-insights$3FqueryDetail$3D<jsurl>

    where ``$3FqueryDetail$3D`` is ``?queryDetail=`` percent-encoded once with ``%`` written ``$`` (as in
    :func:`console_encode`), and ``<jsurl>`` is the JSURL form of
    ``{end: 0, start: -window, timeType: 'RELATIVE', unit: 'seconds', editorString: query, source: [group]}``,
    e.g. ``~(end~0~start~-86400~timeType~'RELATIVE~unit~'seconds~editorString~'fields*20...``
    ``~source~(~'*2faws...))``.
    JSURL output uses only ``[A-Za-z0-9_.-~()'*!]``, none of which the fragment's ``$``/``%`` layer
    touches, so it is embedded as is (the console also accepts it once more percent-encoded, ``$257E$2528``
    for ``~(``; the plain form is shorter and readable). ``start``/``end`` are relative seconds from now.
    Sources: Sage/jsurl (README and lib/jsurl.js) for the JSURL syntax; the Stack Overflow answers
    "Is there a way to generate the AWS Console URLs for CloudWatch Log Group filters?" and "Generate AWS
    Logs Insights URL with query and search criteria" for the console's use of it (``*2c``, ``*0a``,
    ``source~(~'*2faws*2flambda...)`` in real console links).
    """
    detail = {
        "end": 0,
        "start": -window_seconds,
        "timeType": "RELATIVE",
        "unit": "seconds",
        "editorString": query,
        "source": [group],
    }
    return f"{_console_home(region)}#logsV2:logs-insights$3FqueryDetail$3D{_jsurl(detail)}"


@dataclass(frozen=True)
class LogLinks:
    """Where to read a job's container output: what a run's result carries back to the user."""

    group: str
    stream: str | None
    stream_url: str | None
    group_url: str
    insights_query: str
    insights_url: str

    def to_dict(self) -> dict[str, str | None]:
        """Plain JSON-ready fields, in the camelCase a state machine output uses."""
        data = asdict(self)
        return {
            "logGroup": data["group"],
            "logStream": data["stream"],
            "logStreamUrl": data["stream_url"],
            "logGroupUrl": data["group_url"],
            "insightsQuery": data["insights_query"],
            "insightsUrl": data["insights_url"],
        }


def log_links(
    region: str,
    cluster_name: str,
    namespace: str,
    pod_name: str,
    node_name: str,
    container: str,
    stream: str | None,
) -> LogLinks:
    """Assemble the links for one job's container.

    ``stream`` is what the prefix lookup found, or None when Fluent Bit has not created it yet (the job
    failed before its container started, or shipping lags): the group and Insights links still work then,
    and the Insights query will find the lines once they arrive. A stream that is not this container's
    (see :func:`container_id_of`) would link the user to other output, so it is refused.
    """
    prefix = stream_prefix(node_name, pod_name, namespace, container)
    if stream is not None and container_id_of(stream, prefix) is None:
        raise ValueError(f"log stream {stream!r} is not container {container!r} of pod {pod_name!r}")
    group = application_log_group(cluster_name)
    query = insights_query(pod_name)
    return LogLinks(
        group=group,
        stream=stream,
        stream_url=log_stream_console_url(region, group, stream) if stream is not None else None,
        group_url=log_group_console_url(region, group),
        insights_query=query,
        insights_url=insights_console_url(region, group, query),
    )
