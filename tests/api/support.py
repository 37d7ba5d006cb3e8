"""Shared by the API tests: the template deployed in the embedded AWS with a READY environment, API Gateway
proxy events (built, or read from tests/events/api/), and the deployed AnswerApiRequestFunction invoked with
them."""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws
from tests.runs.batch_env import BatchOnEks, create_batch_on_eks, register_environment

EVENTS_DIR = Path(__file__).resolve().parents[1] / "events" / "api"
STAGE = "v1"
CALLER = "arn:aws:iam::123456789012:user/api-tests"
BOUND = 30.0  # an upper bound on every wait, never a synchronisation


def proxy_event(
    method: str,
    path: str,
    *,
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    caller: str = CALLER,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0), as the stage ``v1`` sends it."""
    all_headers = (
        {"Content-Type": "application/json", **(headers or {})} if body is not None else dict(headers or {})
    )
    encoded = isinstance(body, bytes)
    text: str | None
    if isinstance(body, bytes):
        text = base64.b64encode(body).decode()
    elif isinstance(body, (dict, list)):
        text = json.dumps(body)
    else:
        text = body
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers or None,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()} or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {name: [value] for name, value in (query or {}).items()} or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "testapi",
            "resourcePath": resource or path,
            "httpMethod": method,
            "requestId": str(uuid.uuid4()),
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "identity": {"accountId": "123456789012", "userArn": caller, "caller": caller.rsplit("/", 1)[-1]},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def event_fixture(name: str, **replace: Any) -> dict[str, Any]:
    """A recorded-style event from tests/events/api/, with top-level fields replaced."""
    event = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return {**copy.deepcopy(event), **replace}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> tuple[str, str | None]:
        """An error answer's code and field."""
        assert set(self.body) == {"code", "message", "field"}, self.body
        return self.body["code"], self.body["field"]


@dataclass
class ApiWorld:
    aws: EmbeddedAws
    stack: Stack
    environment: str
    batch: BatchOnEks

    def call(self, event: dict[str, Any]) -> Answer:
        """Invoke the deployed AnswerApiRequestFunction with ``event``; its proxy answer, the body parsed as
        JSON."""
        function = self.aws.runtime.function("AnswerApiRequestFunction")
        result = self.aws.runtime.invoke(function, json.dumps(event).encode())
        assert result.function_error is None, result.payload[:2000]
        answer = json.loads(result.payload)
        headers = {name: values[-1] for name, values in (answer.get("multiValueHeaders") or {}).items()}
        headers.update(answer.get("headers") or {})
        body = json.loads(answer["body"]) if answer.get("body") else None
        return Answer(int(answer["statusCode"]), headers, body)

    def job_definition(self, command: str) -> str:
        """A fast job definition of the test's own, running ``sh -c command``; returns its name."""
        name = f"fast-{uuid.uuid4().hex[:8]}"
        self.batch.register_job_definition(name, ["/bin/sh", "-c", command])
        return name

    def register(self, name: str, status: str) -> None:
        """Another environment in the table, in ``status`` (sharing this one's cluster and queues)."""
        register_environment(self.stack.outputs["EnvironmentsTableName"], name, self.batch, status)

    @property
    def run_job_arn(self) -> str:
        return str(self.stack.outputs["RunJobStateMachineArn"])

    def executions(self, state_machine_arn: str) -> list[dict[str, Any]]:
        return list(
            boto3.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn)["executions"]
        )

    def stop_when_idle(self, execution_arn: str) -> None:
        """Stop an execution once it waits in a Wait state (or has ended), never in the middle of a step.

        moto runs an execution in a thread: a stop that lands while a Lambda step runs (or before the thread
        has set up) lets that step, or the whole workflow, go on, and its calls would then reach the next
        test module's embedded AWS. A workflow idle in a Wait stops at once, and calls nothing more.
        """
        sfn = boto3.client("stepfunctions")
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            if sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING":
                return
            events = self.aws.execution_history(execution_arn)
            if events and events[-1]["type"] == "WaitStateEntered":
                sfn.stop_execution(executionArn=execution_arn, error="TestOver", cause="the test has ended")
                return
            time.sleep(0.05)
        raise TimeoutError(f"{execution_arn} neither ended nor waited within {BOUND} s")

    def quiesce(self) -> None:
        """Every workflow this world started, ended or stopped while idle; no job left running."""
        outputs = self.stack.outputs
        for output in ("ProvisionEnvironmentStateMachineArn", "TeardownEnvironmentStateMachineArn"):
            for execution in self.executions(str(outputs[output])):
                self.stop_when_idle(execution["executionArn"])
        for execution in self.executions(self.run_job_arn):
            self.aws.wait_for_execution(execution["executionArn"], BOUND)
        assert self.aws.wait_idle(BOUND)


def api_world(aws: EmbeddedAws, environment: str = "doeks-api") -> ApiWorld:
    """Deploy template.yaml and register a READY environment with on-demand and Spot queues."""
    stack = aws.deploy()
    batch = create_batch_on_eks(
        f"{environment}-JQ1_OD", cluster_name=environment, more_queues=(f"{environment}-JQ1_SPOT",)
    )
    register_environment(stack.outputs["EnvironmentsTableName"], environment, batch)
    # the environment's default job definition, fast: what a run that names none runs
    batch.register_job_definition(f"{environment}-hello-world", ["/bin/sh", "-c", "echo 'Hello World!'"])
    return ApiWorld(aws, stack, environment, batch)
