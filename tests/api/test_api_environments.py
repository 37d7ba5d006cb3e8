"""``/environments`` through the deployed AnswerApiRequestFunction, driven by API Gateway proxy events:
provision, list, read and tear down, each with its success and its failures (404, 409, 400 for every kind
of bad input)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from batch_on_eks.environments.records import START_GRACE_MS
from tests.api.support import ApiWorld, event_fixture, proxy_event


@pytest.fixture
def started(world: ApiWorld) -> Iterator[list[str]]:
    """Executions a test starts; stopped afterwards (once idle), so that no workflow outlives its test."""
    arns: list[str] = []
    yield arns
    for arn in arns:
        world.stop_when_idle(arn)


def unique(prefix: str = "doeks-env") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def environment_item(world: ApiWorld, name: str) -> dict[str, Any] | None:
    table = boto3.resource("dynamodb").Table(world.stack.outputs["EnvironmentsTableName"])
    item = table.get_item(Key={"name": name}, ConsistentRead=True).get("Item")
    return dict(item) if item else None


# -- POST /environments --------------------------------------------------------------------------------------
def test_provision_answers_202_with_location_and_the_environment_is_provisioning(
    world: ApiWorld, started: list[str]
) -> None:
    # Given a name no environment has
    name = unique()
    # When it is asked for
    answer = world.call(proxy_event("POST", "/environments", body={"name": name}))
    # Then the answer is 202 with the environment to follow, under the stage
    assert answer.status == 202, answer.body
    started.append(answer.body["executionArn"])
    assert answer.headers["Location"] == f"/v1/environments/{name}"
    assert answer.body["location"] == answer.headers["Location"]
    assert answer.body["id"] == name
    assert answer.body["newExecution"] is True
    assert ":execution:doeks-provision-environment:provision-" in answer.body["executionArn"]
    # And the environment can be read at once: PROVISIONING, held by that execution, who asked in its timeline
    read = world.call(proxy_event("GET", f"/environments/{name}", resource="/environments/{name}"))
    assert read.status == 200
    assert read.body["status"] == "PROVISIONING"
    assert read.body["executionArn"] == answer.body["executionArn"]
    assert "requested by arn:aws:iam::123456789012:user/api-tests" in read.body["timeline"][-1]["detail"]
    # And the provision workflow runs with the body as its input
    description = boto3.client("stepfunctions").describe_execution(executionArn=answer.body["executionArn"])
    assert json.loads(description["input"]) == {"name": name}


def test_provision_of_a_ready_environment_is_409_environment_exists(world: ApiWorld) -> None:
    # Given the world's READY environment
    # When it is asked for again
    answer = world.call(proxy_event("POST", "/environments", body={"name": world.environment}))
    # Then it is refused: it exists
    assert answer.status == 409
    assert answer.error == ("EnvironmentExists", "name")


def test_provision_while_another_execution_provisions_is_409_busy(
    world: ApiWorld, started: list[str]
) -> None:
    # Given an environment being provisioned (its execution is running)
    name = unique()
    first = world.call(proxy_event("POST", "/environments", body={"name": name}))
    assert first.status == 202
    started.append(first.body["executionArn"])
    # When it is asked for again, without an idempotency key
    again = world.call(proxy_event("POST", "/environments", body={"name": name}))
    # Then it is refused: another execution holds it
    assert again.status == 409
    assert again.error == ("EnvironmentBusy", "name")


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"name": "other-aws-batch"}, "name", "starts with 'doeks-'"),
        ({}, "name", "required"),
        ({"name": "doeks-x", "size": 3}, "size", "unknown field"),
        ({"name": "doeks-x", "maxVcpus": "many"}, "maxVcpus", "integer"),
        ({"name": "doeks-x", "nodeGroup": {"minSize": 0}}, "nodeGroup.minSize", "greater than or equal to 1"),
        ({"name": "Doeks-X"}, "name", "lowercase"),
        ({"name": "doeks-x", "kubernetesVersion": "1.20"}, "kubernetesVersion", "AWS Batch supports"),
        ({"name": "doeks-x", "jobPolicyArns": ["arn:aws:s3:::b"]}, "jobPolicyArns.0", "managed policy ARN"),
    ],
    ids=[
        "no-prefix",
        "missing-name",
        "unknown-field",
        "wrong-type",
        "nested-out-of-range",
        "uppercase",
        "rule",
        "job-policy",
    ],
)
def test_provision_refuses_bad_bodies_with_400_naming_the_field(
    world: ApiWorld, body: dict[str, Any], field: str, rule: str
) -> None:
    # Given a provision body that breaks the schema or a rule
    # When it is sent
    answer = world.call(proxy_event("POST", "/environments", body=body))
    # Then it is 400 InvalidInput naming the field and the rule, and nothing was recorded
    assert answer.status == 400, answer.body
    assert answer.error == ("InvalidInput", field)
    assert rule in answer.body["message"]


# -- GET /environments ---------------------------------------------------------------------------------------
def test_list_environments_pages_through_every_environment(world: ApiWorld) -> None:
    # Given three more environments
    names = {unique() for _ in range(3)}
    for name in names:
        world.register(name, "READY")
    # When the list is read two at a time, following nextToken
    seen: list[str] = []
    token: str | None = None
    for _page in range(50):
        query = {"limit": "2", **({"nextToken": token} if token else {})}
        answer = world.call(proxy_event("GET", "/environments", query=query))
        assert answer.status == 200, answer.body
        assert len(answer.body["items"]) <= 2
        seen += [item["name"] for item in answer.body["items"]]
        token = answer.body["nextToken"]
        if token is None:
            break
    # Then every environment was listed once, with its status
    assert names | {world.environment} <= set(seen)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        base64.urlsafe_b64encode(json.dumps({"name": 5}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"runId": "x"}).encode()).decode(),
        "é",
    ],
    ids=["garbage", "wrong-type", "another-listings-key", "non-ascii"],
)
def test_list_environments_refuses_a_page_token_it_did_not_hand_out(world: ApiWorld, token: str) -> None:
    # Given a nextToken this listing never handed out
    # When it is sent
    answer = world.call(proxy_event("GET", "/environments", query={"nextToken": token}))
    # Then it is 400 on nextToken (never a DynamoDB error)
    assert answer.status == 400
    assert answer.error == ("InvalidInput", "nextToken")


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_list_environments_refuses_a_limit_out_of_bounds(world: ApiWorld, limit: str) -> None:
    # Given a page size outside 1..100
    # When it is asked for
    answer = world.call(proxy_event("GET", "/environments", query={"limit": limit}))
    # Then it is 400 on limit
    assert answer.status == 400
    assert answer.error == ("InvalidInput", "limit")


# -- GET /environments/{name} --------------------------------------------------------------------------------
def test_get_environment_from_a_recorded_event(world: ApiWorld) -> None:
    # Given the recorded event of GET /environments/doeks-api (the world's environment)
    event = event_fixture("get_environment")
    # When it is handled
    answer = world.call(event)
    # Then the environment comes back, READY, with its queues
    assert answer.status == 200
    assert answer.body["name"] == "doeks-api"
    assert answer.body["status"] == "READY"
    assert set(answer.body["jobQueues"]) == {"onDemand", "spot"}


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("doeks-never-made", 404, "EnvironmentNotFound"),
        ("other-prefix", 404, "EnvironmentNotFound"),
        ("Not_A-Name", 400, "InvalidInput"),
    ],
)
def test_get_environment_unknown_or_invalid_name(world: ApiWorld, name: str, status: int, code: str) -> None:
    # Given a name no environment has (or that no environment can have)
    # When it is read
    answer = world.call(proxy_event("GET", f"/environments/{name}", resource="/environments/{name}"))
    # Then it is 404 (400 for a name that breaks the pattern), on the name
    assert answer.status == status
    assert answer.error == (code, "name")


# -- DELETE /environments/{name} -----------------------------------------------------------------------------
def test_teardown_answers_202_and_a_second_delete_finds_the_running_teardown(
    world: ApiWorld, started: list[str]
) -> None:
    # Given a READY environment
    name = unique()
    world.register(name, "READY")
    # When it is deleted
    answer = world.call(proxy_event("DELETE", f"/environments/{name}", resource="/environments/{name}"))
    # Then the answer is 202 with the environment to follow, which is DELETING
    assert answer.status == 202, answer.body
    started.append(answer.body["executionArn"])
    assert answer.headers["Location"] == f"/v1/environments/{name}"
    assert ":execution:doeks-teardown-environment:teardown-" in answer.body["executionArn"]
    item = environment_item(world, name)
    assert item is not None
    assert item["status"] == "DELETING"
    # And deleting again while that teardown runs starts nothing new: the same execution is the answer
    again = world.call(proxy_event("DELETE", f"/environments/{name}", resource="/environments/{name}"))
    assert again.status == 202
    assert again.body["newExecution"] is False
    assert again.body["executionArn"] == answer.body["executionArn"]


def test_teardown_of_a_deleted_environment_is_409(world: ApiWorld) -> None:
    # Given an environment whose teardown has finished
    name = unique()
    world.register(name, "DELETED")
    # When it is deleted again
    answer = world.call(proxy_event("DELETE", f"/environments/{name}", resource="/environments/{name}"))
    # Then it is 409 EnvironmentDeleted
    assert answer.status == 409
    assert answer.error == ("EnvironmentDeleted", "name")


def test_teardown_while_provisioning_runs_is_409_busy(world: ApiWorld, started: list[str]) -> None:
    # Given an environment being provisioned
    name = unique()
    provisioning = world.call(proxy_event("POST", "/environments", body={"name": name}))
    started.append(provisioning.body["executionArn"])
    # When it is deleted
    answer = world.call(proxy_event("DELETE", f"/environments/{name}", resource="/environments/{name}"))
    # Then it is refused while the provisioning runs
    assert answer.status == 409
    assert answer.error == ("EnvironmentBusy", "name")


@pytest.mark.parametrize(("method", "held_as"), [("POST", "PROVISIONING"), ("DELETE", "DELETING")])
def test_an_environment_left_by_a_stopped_provisioning_is_taken_over(
    world: ApiWorld, started: list[str], method: str, held_as: str
) -> None:
    # Given an environment whose provisioning execution was stopped half-way (the record still holds it)
    name = unique()
    stopped = world.call(proxy_event("POST", "/environments", body={"name": name}))
    assert stopped.status == 202, stopped.body
    world.stop_when_idle(stopped.body["executionArn"])
    assert (environment_item(world, name) or {}).get("executionArn") == stopped.body["executionArn"]
    # When it is provisioned again, or torn down
    if method == "POST":
        answer = world.call(proxy_event("POST", "/environments", body={"name": name}))
    else:
        answer = world.call(proxy_event("DELETE", f"/environments/{name}", resource="/environments/{name}"))
    # Then the new execution takes the environment over
    assert answer.status == 202, answer.body
    started.append(answer.body["executionArn"])
    assert answer.body["executionArn"] != stopped.body["executionArn"]
    item = environment_item(world, name) or {}
    assert item["executionArn"] == answer.body["executionArn"]
    assert item["status"] in (held_as, "READY", "DELETED")  # (the workflow may already have moved on)


@pytest.mark.parametrize(
    ("claimed_seconds_ago", "answer_status"), [(1, 409), (START_GRACE_MS // 1000 + 5, 202)]
)
def test_a_claim_for_an_execution_not_started_yet_holds_for_a_grace_period(
    world: ApiWorld, started: list[str], claimed_seconds_ago: int, answer_status: int
) -> None:
    # Given an environment a request has claimed for a provisioning it has not started (yet, or ever)
    name = unique()
    never_started = f"{world.stack.outputs['ProvisionEnvironmentStateMachineArn']}:provision-{name}"
    never_started = never_started.replace(":stateMachine:", ":execution:")
    table = boto3.resource("dynamodb").Table(world.stack.outputs["EnvironmentsTableName"])
    table.put_item(
        Item={
            "name": name,
            "status": "PROVISIONING",
            "executionArn": never_started,
            "claimedAt": int(time.time() * 1000) - claimed_seconds_ago * 1000,
            "resources": {},
        }
    )
    # When another request provisions it
    answer = world.call(proxy_event("POST", "/environments", body={"name": name}))
    # Then a young claim holds (its execution may be starting); an old one is taken over
    assert answer.status == answer_status, answer.body
    if answer.status == 409:
        assert answer.error == ("EnvironmentBusy", "name")
        assert (environment_item(world, name) or {})["executionArn"] == never_started
    else:
        started.append(answer.body["executionArn"])
        assert (environment_item(world, name) or {})["executionArn"] == answer.body["executionArn"]


def test_teardown_of_an_unknown_environment_is_404(world: ApiWorld) -> None:
    # Given a name no environment has
    # When it is deleted
    answer = world.call(
        proxy_event("DELETE", "/environments/doeks-never-made", resource="/environments/{name}")
    )
    # Then it is 404 on the name
    assert answer.status == 404
    assert answer.error == ("EnvironmentNotFound", "name")
