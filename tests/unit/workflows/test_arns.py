"""The workflows' ARNs: each function finds the state machines it starts from its own ARN (partition,
region and account) and the stack's resource prefix."""

from __future__ import annotations

from batch_on_eks.workflows.arns import Workflows


def test_the_run_job_state_machine_is_found_from_the_functions_own_arn() -> None:
    # Given a function's own ARN, in another partition and region
    function_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:x-RunRequests"
    # When the run-job state machine is found from it
    arn = Workflows.of(function_arn, "doeks").run_job
    # Then it is in the function's partition, region and account, named with the prefix
    assert arn == "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:doeks-run-job"
