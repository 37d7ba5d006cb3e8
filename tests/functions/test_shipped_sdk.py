"""One SDK everywhere: the AWS calls the functions make end to end are ones the botocore shipped in the
common layer accepts (replayed through its parameter validation in a fresh Python that sees only the layer,
:mod:`tests.shipped_sdk`). ``tests/conftest.py`` replays every call of the whole session the same way when it
ends; here one end-to-end run is replayed on its own, and the replay is shown to catch what an older SDK
would refuse."""

from __future__ import annotations

import json
import uuid

from local.embedded_aws.call_recorder import RecordedCall
from local.embedded_aws.server import EmbeddedAws
from tests.functions.test_function_policies import tagged_submit
from tests.runs.run_job_support import run_job_world
from tests.shipped_sdk import replay
from tests.template.built_layer import BUILT_LAYER, versions

BOUND = 30.0


def test_an_end_to_end_runs_calls_are_accepted_by_the_shipped_botocore(aws: EmbeddedAws) -> None:
    # Given the control plane deployed with a READY environment and a fast job definition
    world = run_job_world(aws)
    already = len(aws.calls)
    # When a run goes from submit to its log links
    execution = world.start(
        {"jobName": f"sdk-{uuid.uuid4().hex[:8]}", "jobDefinition": world.job_definition("echo shipped")}
    )
    assert world.wait(execution, BOUND)["status"] == "SUCCEEDED"
    assert aws.wait_idle(BOUND)
    calls = aws.calls[already:]
    assert {call.operation for call in calls} >= {"SubmitJob", "SendTaskSuccess", "DescribeLogStreams"}
    # Then the shipped botocore (the layer's, at the tests' version) accepts every one of them
    shipped = replay(calls)
    assert shipped.botocore_version == versions(BUILT_LAYER)["botocore"]
    assert shipped.problems == []


def test_the_replay_reports_what_the_shipped_botocore_refuses() -> None:
    # Given a recorded call with a parameter Batch does not have, one with an ill-typed value, and one fine
    def call(service: str, operation: str, params: dict[str, object]) -> RecordedCall:
        return RecordedCall(
            **{**tagged_submit({}).__dict__, "service": service, "operation": operation, "params": params}
        )

    eks_configuration = {
        "eksClusterArn": "arn:aws:eks:us-east-1:123456789012:cluster/doeks-aws-batch",
        "kubernetesNamespace": "doeks-aws-batch",
        "accessEntry": {"desiredState": "ENABLED"},
    }
    compute_environment = {"computeEnvironmentName": "doeks-ce", "type": "MANAGED"}
    calls = [
        call(
            "batch",
            "CreateComputeEnvironment",
            {**compute_environment, "eksConfiguration": eks_configuration},
        ),
        call("batch", "CreateComputeEnvironment", {**compute_environment, "launchTemplateName": "lt"}),
        call("batch", "SubmitJob", {"jobName": "a", "jobQueue": "q", "jobDefinition": "d", "timeout": 5}),
        call("batch", "NoSuchOperation", {}),
    ]
    # When they are replayed
    problems = replay(calls).problems
    # Then the accessEntry call passes, and the three others are named with what the validation says
    assert len(problems) == 3, json.dumps(problems, indent=1)
    assert any("CreateComputeEnvironment" in p and "launchTemplateName" in p for p in problems)
    assert any("SubmitJob" in p and "timeout" in p for p in problems)
    assert any("NoSuchOperation: no such operation" in p for p in problems)
