"""Shared by the run-job tests: the control plane's own template deployed in the embedded AWS, an
environment registered the way provisioning will register it, and helpers to start runs and read them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws
from tests.runs.batch_env import BatchOnEks, create_batch_on_eks, register_environment

# The reconciler's schedule (ReconcilePeriodMinutes, 5 minutes by default) in the tests' time: a tick a
# second.
RECONCILER_SCALE = 1 / 300


@dataclass
class RunJobWorld:
    aws: EmbeddedAws
    stack: Stack
    environment: str
    batch: BatchOnEks

    @property
    def state_machine_arn(self) -> str:
        return str(self.stack.outputs["RunJobStateMachineArn"])

    @property
    def reconciler_rule(self) -> str:
        """The reconciler's scheduled rule (SAM names it after the function and its event)."""
        return self.stack.ref("ReconcileRunsFunctionEveryPeriod")

    def reconcile(self) -> None:
        """One tick of the reconciler, now; returns once it has run."""
        self.aws.schedules.tick(self.reconciler_rule)

    def job_definition(self, command: str, **extra: Any) -> str:
        """A fast job definition of the test's own, running ``sh -c command``; returns its name."""
        name = f"fast-{uuid.uuid4().hex[:8]}"
        self.batch.register_job_definition(name, ["/bin/sh", "-c", command], **extra)
        return name

    def start(self, run_input: dict[str, Any], name: str | None = None) -> str:
        """Start a run-job execution; returns its ARN. The execution name is the run id."""
        run_input = {"environment": self.environment, "heartbeatSeconds": 2, **run_input}
        response = boto3.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn,
            name=name or f"run-{uuid.uuid4().hex[:12]}",
            input=json.dumps(run_input),
        )
        return str(response["executionArn"])

    def wait(self, execution_arn: str, bound_seconds: float = 60.0) -> dict[str, Any]:
        return self.aws.wait_for_execution(execution_arn, bound_seconds)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.aws.execution_history(execution_arn)

    def entered_states(self, execution_arn: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    def jobs_named(self, job_name_prefix: str) -> list[dict[str, Any]]:
        """Every job on the environment's queues whose name starts with ``job_name_prefix``."""
        batch = boto3.client("batch")
        found = []
        for queue in self.batch.queue_arns:
            found += batch.list_jobs(
                jobQueue=queue, filters=[{"name": "JOB_NAME", "values": [f"{job_name_prefix}*"]}]
            )["jobSummaryList"]
        return found


def run_job_world(
    aws: EmbeddedAws, environment: str = "doeks-tests", *, reconciler: bool = False
) -> RunJobWorld:
    """Deploy template.yaml and register a READY environment with on-demand and Spot queues; with
    ``reconciler``, the stack's schedules run (the reconciler ticks every second)."""
    stack = aws.deploy()
    if reconciler:
        aws.schedules.start(RECONCILER_SCALE)
    batch = create_batch_on_eks(
        f"{environment}-JQ1_OD", cluster_name=environment, more_queues=(f"{environment}-JQ1_SPOT",)
    )
    register_environment(stack.outputs["EnvironmentsTableName"], environment, batch)
    return RunJobWorld(aws, stack, environment, batch)
