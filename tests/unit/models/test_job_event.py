"""The "Batch Job State Change" models: the documented EKS event, one with every EKS field missing, and
one with unknown fields at every level all parse; the helpers find the pod, node and exit code."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from batch_on_eks.models.job_event import BatchJobDetail, PodLocation
from batch_on_eks.models.job_state_change import BatchJobStateChangeEvent
from batch_on_eks.models.job_status import JobStatus

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def detail(**fields: Any) -> BatchJobDetail:
    base = {"jobName": "j", "jobId": "1234", "jobQueue": "arn:aws:batch:r:1:job-queue/q", "status": "RUNNING"}
    return BatchJobDetail.from_dict(base | fields)


@pytest.mark.parametrize(
    "name",
    [
        "batch_job_state_change_eks_succeeded",
        "batch_job_state_change_eks_minimal",
        "batch_job_state_change_eks_extra_fields",
    ],
)
def test_every_fixture_parses(name: str) -> None:
    # Given an EventBridge event as Batch sends it
    raw = load_event(name)
    # When it is parsed
    event = BatchJobStateChangeEvent.from_dict(raw)
    # Then the envelope and the detail are read
    assert event.detail_type == "Batch Job State Change"
    assert event.source == "aws.batch"
    assert event.detail.job_id == raw["detail"]["jobId"]
    assert event.detail.status == JobStatus(raw["detail"]["status"])


def test_documented_event_gives_pod_node_namespace_and_exit_code() -> None:
    # Given the documented EKS event of a job that succeeded
    event = BatchJobStateChangeEvent.from_dict(load_event("batch_job_state_change_eks_succeeded"))
    job = event.detail
    # When its helpers are asked
    pod = job.current_pod()
    # Then they give the pod, node and namespace of the last attempt, and the exit code
    assert pod == PodLocation(
        pod_name="aws-batch.5f2c6e0c-1d2a-4b7e-9b5e-1c3f0a7d8e21",
        node_name="ip-10-1-123-45.ec2.internal",
        namespace="doeks-aws-batch",
    )
    assert job.exit_code() == 0
    assert job.container_reason() == "Completed"
    assert job.exit_code("application") == 0
    assert job.created_at == 1715679701234
    assert job.stopped_at == 1715679751789
    assert str(job.eks_attempts[0].containers[0].container_id).startswith("3c7b9b64")
    assert job.finished_attempts == 1
    assert not job.needs_describe()
    assert not job.is_array_parent
    assert not job.is_array_child


def test_minimal_event_has_no_pod_and_needs_describe() -> None:
    # Given a terminal event with every EKS field missing
    event = BatchJobStateChangeEvent.from_dict(load_event("batch_job_state_change_eks_minimal"))
    job = event.detail
    # When its helpers are asked
    # Then they know nothing, and the caller must fall back to DescribeJobs
    assert job.current_pod() is None
    assert job.exit_code() is None
    assert job.container_reason() is None
    assert job.created_at is None
    assert job.eks_attempts == []
    assert job.attempts == []
    assert job.finished_attempts == 0
    assert job.needs_describe()


def test_unknown_fields_are_ignored_and_known_ones_still_read() -> None:
    # Given an event with unknown fields at every level (an array child with two containers)
    event = BatchJobStateChangeEvent.from_dict(load_event("batch_job_state_change_eks_extra_fields"))
    job = event.detail
    # When its helpers are asked
    # Then the known fields are read as usual
    assert job.current_pod() == PodLocation(
        "aws-batch.1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e-2", "ip-10-1-7-89.ec2.internal", "doeks-aws-batch"
    )
    assert job.exit_code() == 3
    assert job.container_reason() == "Error"
    assert job.exit_code("sidecar") == 137
    assert job.container_reason("sidecar") == "OOMKilled"
    assert job.exit_code("no-such-container") is None
    assert job.is_array_child
    assert not job.is_array_parent
    assert not job.needs_describe()


def test_null_lists_read_as_empty() -> None:
    # Given a detail whose lists are null
    # When it is parsed
    job = detail(eksAttempts=None, attempts=None, eksProperties={"podProperties": {"containers": None}})
    # Then they are empty lists
    assert job.eks_attempts == []
    assert job.attempts == []
    assert job.pod_properties is not None
    assert job.pod_properties.containers == []


def test_snake_case_names_are_accepted_too() -> None:
    # Given a detail built with the Python names
    # When it is parsed
    job = BatchJobDetail.from_dict({"job_name": "j", "job_id": "1", "job_queue": "q", "status": "RUNNABLE"})
    # Then it reads like the camelCase JSON
    assert job.job_name == "j"
    assert job.status is JobStatus.RUNNABLE


def test_pod_properties_alone_give_the_pod_without_namespace() -> None:
    # Given a RUNNING event of a first attempt: only podProperties names the pod
    job = detail(eksProperties={"podProperties": {"podName": "p1", "nodeName": "n1", "containers": [{}]}})
    # When the current pod is asked
    # Then podProperties give it; the namespace is unknown
    assert job.current_pod() == PodLocation("p1", "n1", None)
    assert job.exit_code() is None
    assert not job.needs_describe()  # not terminal


def test_a_running_retry_names_its_new_pod_not_the_finished_attempt() -> None:
    # Given attempt 2 RUNNING: eksAttempts holds attempt 1 (exit 1); podProperties name the new pod
    job = detail(
        eksAttempts=[
            {
                "podName": "p1",
                "nodeName": "n1",
                "podNamespace": "ns",
                "containers": [{"name": "app", "exitCode": 1, "reason": "Error"}],
            }
        ],
        eksProperties={"podProperties": {"podName": "p2", "nodeName": "n2", "containers": [{"name": "app"}]}},
    )
    # When the current pod and exit code are asked
    # Then they are those of attempt 2: its pod, and no exit code yet
    assert job.current_pod() == PodLocation("p2", "n2", "ns")
    assert job.exit_code() is None
    assert job.container_reason() is None


@pytest.mark.parametrize(
    ("fields", "needs"),
    [
        pytest.param({"status": "RUNNING"}, False, id="non-terminal-never"),
        pytest.param({"status": "SUCCEEDED"}, True, id="terminal-without-pod"),
        pytest.param(
            {"status": "FAILED", "eksAttempts": [{"podName": "p", "containers": [{"exitCode": 1}]}]},
            True,
            id="terminal-without-node",
        ),
        pytest.param(
            {"status": "FAILED", "eksAttempts": [{"podName": "p", "nodeName": "n", "containers": [{}]}]},
            True,
            id="terminal-without-exit-code",
        ),
        pytest.param(
            {
                "status": "FAILED",
                "eksAttempts": [{"podName": "p", "nodeName": "n", "containers": [{"exitCode": 2}]}],
            },
            False,
            id="terminal-complete",
        ),
        pytest.param(
            {"status": "SUCCEEDED", "arrayProperties": {"size": 3, "statusSummary": {"SUCCEEDED": 3}}},
            False,
            id="array-parent-has-no-pod",
        ),
    ],
)
def test_needs_describe(fields: dict[str, Any], needs: bool) -> None:
    # Given a detail with some fields
    job = detail(**fields)
    # When asked whether DescribeJobs must fill in
    # Then only a terminal job's missing pod, node or exit code requires it
    assert job.needs_describe() is needs


@pytest.mark.parametrize(
    ("job_id", "array_properties", "parent", "child"),
    [
        pytest.param("abc", None, False, False, id="single-job"),
        pytest.param("abc", {"size": 3, "statusSummary": {"RUNNING": 3}}, True, False, id="parent"),
        pytest.param("abc:1", {"index": 1}, False, True, id="child"),
        pytest.param("abc:1", None, False, True, id="child-by-id-only"),
        pytest.param("abc", {"index": 0}, False, True, id="child-by-index-only"),
    ],
)
def test_array_roles(job_id: str, array_properties: dict[str, Any] | None, parent: bool, child: bool) -> None:
    # Given a job id and its arrayProperties
    job = detail(jobId=job_id, arrayProperties=array_properties)
    # When asked its role in an array job
    # Then parent and child are told apart
    assert job.is_array_parent is parent
    assert job.is_array_child is child


@pytest.mark.parametrize(
    "name",
    [
        "batch_job_state_change_eks_succeeded",
        "batch_job_state_change_eks_minimal",
        "batch_job_state_change_eks_extra_fields",
    ],
)
def test_to_dict_reads_back_as_the_same_event(name: str) -> None:
    # Given a parsed event
    event = BatchJobStateChangeEvent.from_dict(load_event(name))
    # When it is written as JSON and read back (as the runs table keeps a detail)
    written = json.loads(json.dumps(event.to_dict()))
    # Then it is the same event, in camelCase, without the fields that were missing
    assert BatchJobStateChangeEvent.from_dict(written) == event
    assert BatchJobDetail.from_dict(written["detail"]) == event.detail
    assert written["detail-type"] == "Batch Job State Change"
    assert "replay-name" not in written
    assert all(value is not None for value in written["detail"].values())


def test_to_dict_writes_the_json_names_in_a_fixed_order() -> None:
    # Given the documented EKS event, parsed
    event = BatchJobStateChangeEvent.from_dict(load_event("batch_job_state_change_eks_succeeded"))
    # When it is written as JSON (the runs table keeps the detail's JSON text)
    written = event.to_dict()
    # Then the keys come in the same order every time: the envelope's, the detail's (jobArn first, as
    # DescribeJobs has it) and the nested ones', lists always, the fields that were missing never
    assert list(written) == [
        *("version", "id", "source", "account", "time", "region", "resources", "detail-type", "detail"),
    ]
    assert list(written["detail"]) == [
        *("jobArn", "jobName", "jobId", "jobQueue", "status", "statusReason", "createdAt", "startedAt"),
        *("stoppedAt", "jobDefinition", "tags", "attempts", "eksProperties", "eksAttempts"),
    ]
    attempt = written["detail"]["eksAttempts"][0]
    assert list(attempt) == [
        *("containers", "eksClusterArn", "podName", "podNamespace", "nodeName", "startedAt", "stoppedAt"),
        "statusReason",
    ]
    assert attempt["containers"][0] == {
        "name": "application",
        "command": [],
        "args": [],
        "containerID": "3c7b9b64f1e7a2d3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7",
        "exitCode": 0,
        "reason": "Completed",
    }
    assert list(attempt["containers"][0]) == ["name", "command", "args", "containerID", "exitCode", "reason"]


@pytest.mark.parametrize("raw", [1715679701234, 1715679701234.0, Decimal("1715679701234"), " 1715679701234 "])
def test_an_integral_number_reads_as_an_int(raw: Any) -> None:
    # Given a time in epoch milliseconds as a float, a Decimal (DynamoDB's numbers) or a string of digits
    # When it is parsed
    job = detail(createdAt=raw, arrayProperties={"statusSummary": {"RUNNING": raw}})
    # Then it is that int
    assert job.created_at == 1715679701234
    assert type(job.created_at) is int
    assert job.array_properties is not None
    assert job.array_properties.status_summary == {"RUNNING": 1715679701234}


@pytest.mark.parametrize("time", ["2026-11-29T03:57:05Z", "2026-11-29T03:57:05", 1795924625, 1795924625000])
def test_envelope_time_reads_iso_8601_and_epoch_seconds_or_milliseconds(time: Any) -> None:
    # Given an event whose time is ISO 8601 (with or without an offset) or epoch seconds or milliseconds
    raw = load_event("batch_job_state_change_eks_minimal") | {"time": time}
    # When it is parsed
    # Then the time is that instant, in UTC
    assert BatchJobStateChangeEvent.from_dict(raw).time == datetime(2026, 11, 29, 3, 57, 5, tzinfo=UTC)


def test_python_names_are_accepted_for_fields_whose_json_name_is_not_their_camel_case() -> None:
    # Given an event built with the Python names of detail-type, replay-name and containerID
    raw = load_event("batch_job_state_change_eks_minimal")
    raw["detail_type"], raw["replay_name"] = raw.pop("detail-type"), "replay-1"
    raw["detail"]["eksAttempts"] = [{"podName": "p", "containers": [{"container_id": "abc"}]}]
    # When it is parsed and written back
    event = BatchJobStateChangeEvent.from_dict(raw)
    written = event.to_dict()
    # Then they are read, and written by their JSON names
    assert event.detail_type == "Batch Job State Change"
    assert event.replay_name == "replay-1"
    assert event.detail.eks_attempts[0].containers[0].container_id == "abc"
    assert (written["detail-type"], written["replay-name"]) == ("Batch Job State Change", "replay-1")
    assert written["detail"]["eksAttempts"][0]["containers"][0]["containerID"] == "abc"


def test_envelope_time_is_an_aware_datetime() -> None:
    # Given an event whose time is ISO 8601 with a Z
    raw = load_event("batch_job_state_change_eks_minimal") | {"time": "2026-11-29T03:57:05Z"}
    # When it is parsed
    event = BatchJobStateChangeEvent.from_dict(raw)
    # Then the time is that instant, in UTC, and is written back the same way
    assert event.time == datetime(2026, 11, 29, 3, 57, 5, tzinfo=UTC)
    assert event.to_dict()["time"] == "2026-11-29T03:57:05Z"


def test_container_id_reads_its_aws_name() -> None:
    # Given a container as eksAttempts report it
    job = detail(eksAttempts=[{"podName": "p", "containers": [{"containerID": "abc", "exitCode": 0}]}])
    # When it is parsed and written back
    # Then containerID (not containerId) is read and written
    assert job.eks_attempts[0].containers[0].container_id == "abc"
    assert job.to_dict()["eksAttempts"][0]["containers"][0]["containerID"] == "abc"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param({"jobId": None}, "jobId", id="missing-job-id"),
        pytest.param({"jobName": None}, "jobName", id="missing-job-name"),
        pytest.param({"jobQueue": None}, "jobQueue", id="missing-job-queue"),
        pytest.param({"status": "DONE"}, "status", id="unknown-status"),
        pytest.param({"status": None}, "status", id="missing-status"),
        pytest.param(
            {"eksAttempts": [{"containers": [{"exitCode": "x"}]}]},
            "eksAttempts[0].containers[0].exitCode: expected an integer, got str 'x'",
            id="nested-wrong-type",
        ),
        pytest.param({"createdAt": 1.5}, "createdAt: expected an integer, got float 1.5", id="fraction"),
        pytest.param({"tags": {"k": 1}}, "tags.k: expected a string, got int 1", id="tag-value"),
        pytest.param({"eksAttempts": {}}, "eksAttempts: expected a list, got dict", id="not-a-list"),
        pytest.param(
            {"eksProperties": {"podProperties": []}},
            "eksProperties.podProperties: expected an object, got list",
            id="not-an-object",
        ),
    ],
)
def test_an_invalid_detail_is_a_value_error_naming_the_field(fields: dict[str, Any], named: str) -> None:
    # Given a detail with a required field missing or a field of the wrong type
    base = {"jobName": "j", "jobId": "1234", "jobQueue": "q", "status": "RUNNING"}
    raw = {key: value for key, value in (base | fields).items() if value is not None}
    # When it is parsed
    # Then the error names the field
    with pytest.raises(ValueError, match=re.escape(named)):
        BatchJobDetail.from_dict(raw)
