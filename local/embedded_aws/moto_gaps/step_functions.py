"""Step Functions as AWS runs it where moto differs:

- StartExecution without a name: AWS names the execution with a UUID; moto named it "None".
- A task token answered (SendTaskSuccess/Failure) while the task's Lambda still runs ends the task. On AWS
  the token is live from the moment the task is scheduled; moto sets up a task's heartbeat endpoint only
  once the Lambda has returned, and its heartbeat wait then ignored the outcome already received: the task
  lapsed.
"""

from __future__ import annotations

from typing import Any

from moto.moto_api._internal import mock_random as random
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_start_execution = StepFunctionsParserBackend.start_execution
_setup_heartbeat_endpoint = CallbackEndpoint.setup_heartbeat_endpoint


def _start_execution_named(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: Any = None,
    execution_input: Any = None,
    trace_header: Any = None,
) -> Any:
    return _start_execution(
        self, state_machine_arn, name or str(random.uuid4()), execution_input, trace_header
    )


def _setup_heartbeat_endpoint_after_outcome(
    self: CallbackEndpoint, heartbeat_seconds: int
) -> HeartbeatEndpoint:
    endpoint = _setup_heartbeat_endpoint(self, heartbeat_seconds)
    if self.get_outcome() is not None:
        endpoint.notify()  # the heartbeat wait wakes at once and reads the outcome
    return endpoint


def install() -> None:
    setattr(StepFunctionsParserBackend, "start_execution", _start_execution_named)  # noqa: B010
    setattr(CallbackEndpoint, "setup_heartbeat_endpoint", _setup_heartbeat_endpoint_after_outcome)  # noqa: B010
