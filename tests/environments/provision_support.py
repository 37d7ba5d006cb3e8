"""Shared by the provisioning tests: the control plane's template deployed in an embedded AWS that runs a
real kube-apiserver per EKS cluster, helpers to start the provision and teardown workflows, and an
inventory of everything an environment can leave behind."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from local.demo.environment_inventory import inventory
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws


@dataclass
class ProvisionWorld:
    aws: EmbeddedAws
    stack: Stack

    def start(self, workflow: str, execution_input: dict[str, Any], name: str | None = None) -> str:
        """Start the ``provision`` or ``teardown`` workflow; returns the execution's ARN."""
        output = {
            "provision": "ProvisionEnvironmentStateMachineArn",
            "teardown": "TeardownEnvironmentStateMachineArn",
        }
        response = self.aws.client("stepfunctions").start_execution(
            stateMachineArn=self.stack.outputs[output[workflow]],
            name=name or f"{workflow}-{uuid.uuid4().hex[:12]}",
            input=json.dumps(execution_input),
        )
        return str(response["executionArn"])

    def run(
        self, workflow: str, execution_input: dict[str, Any], bound_seconds: float = 180.0
    ) -> dict[str, Any]:
        """Start a workflow with poll interval 0 (unless given) and wait for its end: DescribeExecution."""
        arn = self.start(workflow, {"pollIntervalSeconds": 0, **execution_input})
        return self.aws.wait_for_execution(arn, bound_seconds)

    def entered(self, execution_arn: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.aws.execution_history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    def environment(self, name: str) -> dict[str, Any] | None:
        table = self.stack.outputs["EnvironmentsTableName"]
        item = self.aws.client("dynamodb").get_item(TableName=table, Key={"name": {"S": name}}).get("Item")
        if item is None:
            return None
        from boto3.dynamodb.types import TypeDeserializer

        deserializer = TypeDeserializer()
        return {key: deserializer.deserialize(value) for key, value in item.items()}

    def wait_until_held(self, name: str, execution_arn: str, bound_seconds: float = 60.0) -> None:
        """Wait until the environments table says ``execution_arn`` holds environment ``name``: a workflow
        claims its environment in its first step, which runs some time after StartExecution returns."""
        deadline = time.monotonic() + bound_seconds
        while (self.environment(name) or {}).get("executionArn") != execution_arn:
            description = self.aws.client("stepfunctions").describe_execution(executionArn=execution_arn)
            assert description["status"] == "RUNNING", description
            assert time.monotonic() < deadline, f"{execution_arn} did not claim {name} in {bound_seconds} s"
            time.sleep(0.05)

    def inventory(self) -> dict[str, list[str]]:
        """Every resource list an environment adds to, as names (to compare before and after)."""
        return inventory(self.aws)


def failure_cause(description: dict[str, Any]) -> dict[str, Any]:
    """A failed execution's Cause, parsed (every Fail of these workflows has a JSON Cause)."""
    return dict(json.loads(description["cause"]))
