"""Log stream naming and the CloudWatch console's deep-link encodings.

The console formats are undocumented, so the tests pin exact strings for the blueprint's example and
decode every link with a decoder written here, independently of the module, to prove nothing is lost.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_on_eks.runs.log_links import (
    LogLinks,
    application_log_group,
    console_encode,
    container_id_of,
    insights_console_url,
    insights_query,
    log_group_console_url,
    log_links,
    log_stream_console_url,
    stream_name,
    stream_prefix,
)

REGION = "us-east-1"
CLUSTER = "doeks-aws-batch"
NAMESPACE = "doeks-aws-batch"
POD = "aws-batch.32d8f53f-29dc-31b4-9ce4-13504ccf74c1"
NODE = "ip-10-1-60-65.ec2.internal"
CONTAINER = "application-hello"
CONTAINER_ID = "0123456789abcdef" * 4

CONSOLE = f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
GROUP = "/aws/containerinsights/doeks-aws-batch/application"
ENCODED_GROUP = "$252Faws$252Fcontainerinsights$252Fdoeks-aws-batch$252Fapplication"
PREFIX = (
    "ip-10-1-60-65.ec2.internal-application.var.log.containers."
    "aws-batch.32d8f53f-29dc-31b4-9ce4-13504ccf74c1_doeks-aws-batch_application-hello-"
)
STREAM = f"{PREFIX}{CONTAINER_ID}.log"
QUERY = (
    "fields @timestamp, log\n"
    '| filter kubernetes.pod_name = "aws-batch.32d8f53f-29dc-31b4-9ce4-13504ccf74c1"\n'
    "| sort @timestamp asc\n"
    "| limit 10000"
)
INSIGHTS_URL = (
    f"{CONSOLE}#logsV2:logs-insights$3FqueryDetail$3D"
    "~(end~0~start~-86400~timeType~'RELATIVE~unit~'seconds"
    "~editorString~'fields*20*40timestamp*2c*20log*0a*7c*20filter*20kubernetes.pod_name*20*3d*20"
    "*22aws-batch.32d8f53f-29dc-31b4-9ce4-13504ccf74c1*22*0a*7c*20sort*20*40timestamp*20asc*0a"
    "*7c*20limit*2010000"
    "~source~(~'*2faws*2fcontainerinsights*2fdoeks-aws-batch*2fapplication))"
)

INSIGHTS_PREFIX = f"{CONSOLE}#logsV2:logs-insights"


# --- decoders, written here on purpose: the module only encodes -------------------------------------------


def console_decode(encoded: str) -> str:
    """Reverse console_encode: ``$`` back to ``%``, then percent-decode twice."""
    return unquote(unquote(encoded.replace("$", "%"), errors="strict"), errors="strict")


class _JsurlParser:
    """A JSURL parser (Sage/jsurl syntax): ``~(k~v)`` objects, ``~(~a~b)`` arrays, ``~'s`` strings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def eat(self, expected: str) -> None:
        assert self.text[self.pos] == expected, (self.text, self.pos, expected)
        self.pos += 1

    def word(self) -> str:
        """A key or string value, up to the next delimiter, with ``*xx``, ``**xxxx`` and ``!`` undone."""
        units: list[int] = []
        while self.pos < len(self.text) and self.text[self.pos] not in "~)":
            char = self.text[self.pos]
            if char == "*" and self.text[self.pos + 1] == "*":
                units.append(int(self.text[self.pos + 2 : self.pos + 6], 16))
                self.pos += 6
            elif char == "*":
                units.append(int(self.text[self.pos + 1 : self.pos + 3], 16))
                self.pos += 3
            else:
                assert char.isascii(), (char, self.text)
                assert char.isalnum() or char in "_-.!", (char, self.text)
                units.append(ord("$" if char == "!" else char))
                self.pos += 1
        # JavaScript strings are UTF-16 code units: recombine surrogate pairs.
        raw = b"".join(unit.to_bytes(2, "big") for unit in units)
        return raw.decode("utf-16-be")

    def value(self) -> Any:
        self.eat("~")
        char = self.text[self.pos]
        if char == "'":
            self.pos += 1
            return self.word()
        if char == "(":
            self.pos += 1
            if self.text[self.pos] == "~":
                items: list[Any] = []
                if self.text[self.pos + 1] == ")":
                    self.pos += 1
                else:
                    while self.text[self.pos] == "~":
                        items.append(self.value())
                self.eat(")")
                return items
            obj: dict[str, Any] = {}
            while True:
                key = self.word()
                obj[key] = self.value()
                if self.text[self.pos] != "~":
                    break
                self.pos += 1
            self.eat(")")
            return obj
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "~)":
            self.pos += 1
        token = self.text[start : self.pos]
        keywords = {"true": True, "false": False, "null": None}
        return keywords[token] if token in keywords else int(token)

    def parse(self) -> Any:
        result = self.value()
        assert self.pos == len(self.text), f"trailing text: {self.text[self.pos :]!r}"
        return result


def insights_decode(url: str) -> dict[str, Any]:
    """Reverse insights_console_url: the fragment's ``$``-encoding, then the queryDetail JSURL."""
    assert url.startswith(INSIGHTS_PREFIX)
    route = unquote(url[len(INSIGHTS_PREFIX) :].replace("$", "%"), errors="strict")
    assert route.startswith("?queryDetail=")
    detail: dict[str, Any] = _JsurlParser(route[len("?queryDetail=") :]).parse()
    return detail


# --- names -------------------------------------------------------------------------------------------------


def test_blueprint_example_names() -> None:
    # Given the blueprint's hello-world job on the doeks-aws-batch cluster
    # When its log group, stream prefix and stream name are built
    group = application_log_group(CLUSTER)
    prefix = stream_prefix(NODE, POD, NAMESPACE, CONTAINER)
    name = stream_name(NODE, POD, NAMESPACE, CONTAINER, CONTAINER_ID)
    # Then they are exactly Container Insights' names
    assert group == GROUP
    assert prefix == PREFIX
    assert name == STREAM


@given(
    node=st.text(min_size=1, max_size=30),
    pod=st.text(min_size=1, max_size=30),
    namespace=st.text(min_size=1, max_size=30),
    container=st.text(min_size=1, max_size=30),
    container_id=st.text(alphabet="0123456789abcdef", min_size=1, max_size=64),
)
def test_stream_name_starts_with_its_prefix(
    node: str, pod: str, namespace: str, container: str, container_id: str
) -> None:
    # Given any pod, node, container and container ID
    # When the full stream name is built
    name = stream_name(node, pod, namespace, container, container_id)
    # Then a prefix lookup built from the same inputs finds it, and recognises it as that container's
    prefix = stream_prefix(node, pod, namespace, container)
    assert name.startswith(prefix)
    assert container_id_of(name, prefix) == container_id
    assert name.endswith(f"-{container_id}.log")


def test_prefix_lookup_results_are_filtered_to_the_container() -> None:
    # Given the streams a prefix lookup for container "app" returns: its own, and "app-sidecar"'s
    prefix = stream_prefix(NODE, POD, NAMESPACE, "app")
    own = stream_name(NODE, POD, NAMESPACE, "app", CONTAINER_ID)
    sidecar = stream_name(NODE, POD, NAMESPACE, "app-sidecar", CONTAINER_ID)
    assert sidecar.startswith(prefix)
    # When each is checked against the container's prefix
    # Then only the container's own stream yields a container ID
    assert container_id_of(own, prefix) == CONTAINER_ID
    assert container_id_of(sidecar, prefix) is None
    assert container_id_of(f"{prefix}.log", prefix) is None
    assert container_id_of("unrelated.log", prefix) is None


def test_stream_name_matches_the_emulators_container_insights_naming() -> None:
    # Given the emulator's Fluent Bit stand-in, with a logs client that records instead of calling AWS
    from local.dataplane.container_logs import ContainerLogWriter

    created: list[tuple[str, str]] = []
    fake_logs = SimpleNamespace(
        exceptions=SimpleNamespace(ResourceAlreadyExistsException=RuntimeError),
        create_log_group=lambda logGroupName: None,
        create_log_stream=lambda logGroupName, logStreamName: created.append((logGroupName, logStreamName)),
    )
    writer = ContainerLogWriter(REGION)
    writer._logs = fake_logs
    container = SimpleNamespace(name=CONTAINER, container_id=CONTAINER_ID, image="amazonlinux:2023")
    cluster_arn = f"arn:aws:eks:{REGION}:123456789012:cluster/{CLUSTER}"
    # When it opens the stream for the blueprint's container
    stream = writer.writer(cluster_arn, NAMESPACE, POD, NODE, container)
    # Then the group and stream it creates are the ones this module names
    expected = stream_name(NODE, POD, NAMESPACE, CONTAINER, CONTAINER_ID)
    assert created == [(application_log_group(CLUSTER), expected)]
    assert (stream.group, stream.stream) == (GROUP, STREAM)


# --- console_encode ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("/", "$252F"),
        ("[", "$255B"),
        ("]", "$255D"),
        ("$", "$2524"),
        (" ", "$2520"),
        ("#", "$2523"),
        (":", "$253A"),
        ("%", "$2525"),
        ("é", "$25C3$25A9"),
        ("2024/01/01/[$LATEST]abc", "2024$252F01$252F01$252F$255B$2524LATEST$255Dabc"),
    ],
)
def test_console_encode_special_characters(raw: str, encoded: str) -> None:
    # Given a character the console's route cannot carry as is
    # When it is encoded for a deep link
    result = console_encode(raw)
    # Then it is percent-encoded twice with "%" written "$"
    assert result == encoded
    assert "%" not in result


@settings(max_examples=300)
@given(st.text())
def test_console_encode_is_reversible(value: str) -> None:
    # Given arbitrary text, including "$", "%" and non-ASCII characters
    # When it is encoded and then decoded the console's way
    decoded = console_decode(console_encode(value))
    # Then the original text comes back unchanged
    assert decoded == value


# --- console links -----------------------------------------------------------------------------------------


def test_log_group_and_stream_console_urls() -> None:
    # Given the blueprint's group and stream
    # When their console links are built
    group_url = log_group_console_url(REGION, GROUP)
    stream_url = log_stream_console_url(REGION, GROUP, STREAM)
    # Then they are the console's deep links with each part encoded
    assert group_url == f"{CONSOLE}#logsV2:log-groups/log-group/{ENCODED_GROUP}"
    assert stream_url == f"{CONSOLE}#logsV2:log-groups/log-group/{ENCODED_GROUP}/log-events/{STREAM}"


def test_insights_query_for_the_blueprint_pod() -> None:
    # Given the blueprint's pod
    # When the Insights query is built
    query = insights_query(POD)
    # Then it filters Container Insights records on the pod name, oldest line first
    assert query == QUERY


@pytest.mark.parametrize(
    ("pod", "literal"),
    [
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ('a\\"b', '"a\\\\\\"b"'),
        ('x" | filter 1=1 | limit 1 #', '"x\\" | filter 1=1 | limit 1 #"'),
    ],
)
def test_insights_query_escapes_quotes(pod: str, literal: str) -> None:
    # Given a pod name carrying quotes or backslashes
    # When the Insights query is built
    query = insights_query(pod)
    # Then the name stays inside one string literal: its quotes and backslashes are escaped
    assert f"| filter kubernetes.pod_name = {literal}\n" in query


def test_insights_console_url_for_the_blueprint() -> None:
    # Given the blueprint's group and query
    # When the Logs Insights link is built
    url = insights_console_url(REGION, GROUP, QUERY)
    # Then it is the console's queryDetail form, exactly
    assert url == INSIGHTS_URL
    # And it decodes back to the query on that group over the last day
    assert insights_decode(url) == {
        "end": 0,
        "start": -86400,
        "timeType": "RELATIVE",
        "unit": "seconds",
        "editorString": QUERY,
        "source": [GROUP],
    }


@settings(max_examples=300)
@given(group=st.text(), query=st.text())
def test_insights_console_url_round_trips(group: str, query: str) -> None:
    # Given any group name and query text (quotes, tildes, parentheses, "$", "%", "*", emoji...)
    # When the Insights link is built
    url = insights_console_url(REGION, group, query)
    # Then the link holds no raw "%" and decodes back to exactly that query on exactly that group
    assert "%" not in url
    detail = insights_decode(url)
    assert detail["editorString"] == query
    assert detail["source"] == [group]


# --- assembled links ---------------------------------------------------------------------------------------


def test_log_links_with_the_stream_found() -> None:
    # Given the stream the prefix lookup found
    # When the links are assembled
    links = log_links(REGION, CLUSTER, NAMESPACE, POD, NODE, CONTAINER, STREAM)
    # Then every link is there
    assert links == LogLinks(
        group=GROUP,
        stream=STREAM,
        stream_url=f"{CONSOLE}#logsV2:log-groups/log-group/{ENCODED_GROUP}/log-events/{STREAM}",
        group_url=f"{CONSOLE}#logsV2:log-groups/log-group/{ENCODED_GROUP}",
        insights_query=QUERY,
        insights_url=INSIGHTS_URL,
    )
    # And its dict form is JSON for a state machine output
    assert json.loads(json.dumps(links.to_dict())) == {
        "logGroup": GROUP,
        "logStream": STREAM,
        "logStreamUrl": links.stream_url,
        "logGroupUrl": links.group_url,
        "insightsQuery": QUERY,
        "insightsUrl": INSIGHTS_URL,
    }


def test_log_links_before_the_stream_exists() -> None:
    # Given no stream found yet (the container never started, or Fluent Bit lags)
    # When the links are assembled
    links = log_links(REGION, CLUSTER, NAMESPACE, POD, NODE, CONTAINER, None)
    # Then only the group and Insights links are given
    assert links.stream is None
    assert links.stream_url is None
    assert links.to_dict()["logStream"] is None
    assert links.to_dict()["logStreamUrl"] is None
    assert links.group_url == f"{CONSOLE}#logsV2:log-groups/log-group/{ENCODED_GROUP}"
    assert links.insights_url == INSIGHTS_URL


def test_log_links_refuse_another_containers_stream() -> None:
    # Given a stream of another container of the same pod
    other = stream_name(NODE, POD, NAMESPACE, "sidecar", CONTAINER_ID)
    # When links are assembled for application-hello with it
    # Then it is refused rather than linking the user to the wrong output
    with pytest.raises(ValueError, match="is not container"):
        log_links(REGION, CLUSTER, NAMESPACE, POD, NODE, CONTAINER, other)


def test_log_links_are_frozen() -> None:
    # Given assembled links
    links = log_links(REGION, CLUSTER, NAMESPACE, POD, NODE, CONTAINER, None)
    # When one is reassigned
    # Then it is refused: a run's links never change after they are built
    with pytest.raises(AttributeError):
        links.group = "other"  # type: ignore[misc]
