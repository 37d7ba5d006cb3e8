"""Step Functions as AWS runs it where moto differs:

- StartExecution without a name: AWS names the execution with a UUID; moto named it "None".
- A task token answered (SendTaskSuccess/Failure) while the task's Lambda still runs ends the task. On AWS
  the token is live from the moment the task is scheduled; moto sets up a task's heartbeat endpoint only
  once the Lambda has returned, and its heartbeat wait then ignored the outcome already received: the task
  lapsed.
- A stopped execution stays ABORTED. StopExecution that lands while a task runs makes moto's task fail
  with a runtime error as it unwinds, and moto's engine recorded that error over the stop: the execution
  ended FAILED. On AWS, StopExecution ends it ABORTED whatever its states were doing (Step Functions API
  Reference, StopExecution).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.moto_api._internal import mock_random as random
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
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


def _unless_stopped(ending: Callable[..., None]) -> Callable[..., None]:
    """An ending (error, time-out) that no longer applies once the execution has been stopped."""

    def end(self: Environment, *args: Any, **kwargs: Any) -> None:
        with self._state_mutex:
            if isinstance(self._program_state, ProgramStopped):
                return
            ending(self, *args, **kwargs)

    return end


def install() -> None:
    setattr(Environment, "set_error", _unless_stopped(Environment.set_error))  # noqa: B010
    setattr(Environment, "set_timed_out", _unless_stopped(Environment.set_timed_out))  # noqa: B010
    setattr(StepFunctionsParserBackend, "start_execution", _start_execution_named)  # noqa: B010
    setattr(CallbackEndpoint, "setup_heartbeat_endpoint", _setup_heartbeat_endpoint_after_outcome)  # noqa: B010
