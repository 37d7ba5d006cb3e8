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
- A stopped execution ends at once, even while a task waits for its token: moto's waiting task noticed the
  stop only when its token was answered or its timeout (which may be days) ran out, and DescribeExecution
  said RUNNING until then.
- A stopped execution is ABORTED when StopExecution returns (its response carries the stop date; Step
  Functions API Reference, StopExecution): moto set the status only once the execution's thread had
  unwound, so a DescribeExecution right after the stop could still say RUNNING (after a Wait state, on a
  busy machine; for the whole of a Lambda task that was running).
- A Parallel state whose branch failed with one of Step Functions' own errors (``States.Timeout``,
  ``States.DataLimitExceeded``...) fails with that error, as on AWS; moto refused to name it (a custom error
  name must not start with ``States.``) and failed the execution with a runtime error instead.
- A task token is answered while other executions are still starting: moto looked for the token in every
  execution, including those not yet running their program, and failed the call (500) on the first of them.
- SendTaskFailure's ``cause`` reaches the task: moto's API handler passed on the ``error`` only, so the
  execution failed with the error and an empty Cause.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import EmptyResult
from moto.moto_api._internal import mock_random as random
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from local.embedded_aws.moto_gaps.step_functions_limits import interrupt_waiting_tasks

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


_stop_worker = ExecutionWorker.stop


def _stop_now(self: ExecutionWorker, stop_date: Any, error: str | None, cause: str | None) -> None:
    _stop_worker(self, stop_date=stop_date, error=error, cause=cause)
    if self.env is not None:
        interrupt_waiting_tasks(self.env)
    execution = getattr(self._execution_communication, "execution", None)
    if execution is not None:
        # The thread's own ending sets ABORTED again (the stop wins over any error it unwinds with).
        execution.exec_status = ExecutionStatus.ABORTED
        execution.stop_date = stop_date


def _send_task_failure_with_cause(self: StepFunctionResponse) -> Any:
    backend: Any = self.stepfunction_backend  # the parser's backend: its send_task_failure takes the cause
    backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


def _branch_error_name(error_name: str | None) -> ErrorName:
    """The name a failed branch passes on to its Parallel state: Step Functions' own, or the task's."""
    if error_name is not None and error_name.startswith("States."):
        return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name=error_name)


_get_executions = StepFunctionsParserBackend._get_executions


def _started_executions(self: StepFunctionsParserBackend, *args: Any, **kwargs: Any) -> list[Any]:
    """The executions whose program has started: only they can hold a task token or a map run."""
    executions = _get_executions(self, *args, **kwargs)
    return [e for e in executions if e.exec_worker is not None and e.exec_worker.env is not None]


def install() -> None:
    setattr(Environment, "set_error", _unless_stopped(Environment.set_error))  # noqa: B010
    setattr(Environment, "set_timed_out", _unless_stopped(Environment.set_timed_out))  # noqa: B010
    setattr(StepFunctionsParserBackend, "start_execution", _start_execution_named)  # noqa: B010
    setattr(CallbackEndpoint, "setup_heartbeat_endpoint", _setup_heartbeat_endpoint_after_outcome)  # noqa: B010
    setattr(ExecutionWorker, "stop", _stop_now)  # noqa: B010
    setattr(branches_decl, "CustomErrorName", _branch_error_name)  # noqa: B010
    setattr(StepFunctionsParserBackend, "_get_executions", _started_executions)  # noqa: B010
    setattr(StepFunctionResponse, "send_task_failure", _send_task_failure_with_cause)  # noqa: B010
