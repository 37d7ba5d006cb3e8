"""Step Functions' quotas on an execution, enforced as AWS enforces them, so that a workflow which would break
them on AWS breaks here too (the run-job workflow's long jobs and big arrays, the benchmark's polling loop).

From the Developer Guide's quotas (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html),
"Avoid reaching the history quota" (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html)
and "Handling errors" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):

- **25,000 history events.** An execution that reaches 24,999 events ends with its next one: if that is
  ``ExecutionSucceeded`` it succeeds, otherwise event 25,000 is ``ExecutionFailed``, error ``States.Runtime``,
  cause "The execution reached the maximum number of history events (25000)." moto had no limit.
- **262,144 bytes** of UTF-8 text for a state's input or output and a task's result. moto measured its output
  with spaces after separators and refused exactly 262,144 bytes; here JSON is measured compact and the limit
  is inclusive. A task's input after ``Parameters`` is checked too (moto did not).
- ``States.DataLimitExceeded`` is terminal: ``States.ALL`` does not catch or retry it. ``States.Runtime`` is
  never caught or retried. moto's ``States.ALL`` matched both.
- The API: ``StartExecution``'s ``input`` and ``SendTaskSuccess``'s ``output`` of more than 262,144 bytes,
  ``SendTaskFailure``'s ``error`` over 256 characters or ``cause`` over 32,768, are refused with
  ``ValidationException`` (the API Reference's length constraints). moto took any size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.parser.api import (
    ExecutionFailedEventDetails,
    HistoryEventType,
    TaskFailedEventDetails,
)
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import (
    StateTaskActivity,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

HISTORY_LIMIT = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_LIMIT})."
PAYLOAD_LIMIT = 262_144  # bytes of UTF-8
ERROR_LIMIT = 256
CAUSE_LIMIT = 32_768

_history_lock = threading.Lock()
# What each patched method was when install() ran (another gap may have patched it before): the patches
# below call through to it.
_before: dict[str, Callable[..., Any]] = {}


# -- history -------------------------------------------------------------------------------------------------
def interrupt_waiting_tasks(env: Environment) -> None:
    """Wake every task of the execution that waits on its token: the execution has ended without them."""
    for endpoint in list(env.callback_pool_manager._pool.values()):
        endpoint.interrupt_all()


def _add_event(
    self: EventManager, context: Any, event_type: HistoryEventType, *args: Any, **kwargs: Any
) -> int:
    with _history_lock:
        if getattr(self, "history_full", False):
            return int(context.last_published_event_id or 0)  # the execution has ended: nothing more is kept
        reaching = len(self._history_event_list) == HISTORY_LIMIT - 1
        if not reaching or event_type == HistoryEventType.ExecutionSucceeded:
            return int(_before["add_event"](self, context, event_type, *args, **kwargs))
        self.history_full = True  # type: ignore[attr-defined]
    details = ExecutionFailedEventDetails(
        error=StatesErrorNameType.StatesRuntime.to_name(), cause=HISTORY_LIMIT_CAUSE
    )
    failed = cast(EventDetails, {"executionFailedEventDetails": details})
    event_id = int(_before["add_event"](self, context, HistoryEventType.ExecutionFailed, failed))
    owner: Environment | None = getattr(self, "owner", None)
    if owner is not None:
        _before["set_error"](owner, details)
        interrupt_waiting_tasks(owner)
    return event_id


def _environment_init(self: Environment, *args: Any, **kwargs: Any) -> None:
    _before["environment_init"](self, *args, **kwargs)
    # A frame is made the same way, then shares its parent's manager: the root's owner stays the root.
    self.event_manager.owner = self  # type: ignore[attr-defined]


def _unless_history_full(ending: Callable[..., None]) -> Callable[..., None]:
    """An ending that comes after the history limit ended the execution does not replace that ending."""

    def end(self: Environment, *args: Any, **kwargs: Any) -> None:
        if getattr(getattr(self, "event_manager", None), "history_full", False):
            return
        ending(self, *args, **kwargs)

    return end


# -- payloads ------------------------------------------------------------------------------------------------
def payload_size(value: Any) -> int:
    text = value if isinstance(value, str) else to_json_str(value, separators=(",", ":"))
    return len(text.encode())


def is_within_size_quota(value: Any) -> bool:
    return payload_size(value) <= PAYLOAD_LIMIT


def _data_limit_exceeded(env: Environment, name: str) -> FailureEventException:
    error = StatesErrorNameType.StatesStatesDataLimitExceeded
    cause = f"The state/task '{name}' has an input with a size exceeding the maximum number of bytes service"
    cause += " limit."
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=error),
            event_type=HistoryEventType.TaskFailed,
            event_details=cast(
                EventDetails,
                {"taskFailedEventDetails": TaskFailedEventDetails(error=error.to_name(), cause=cause)},
            ),
        )
    )


def _checked_parameters(evaluate: Callable[..., Any]) -> Callable[..., Any]:
    def eval_parameters(self: StateTask, env: Environment) -> Any:
        parameters = evaluate(self, env)
        if not is_within_size_quota(parameters):
            raise _data_limit_exceeded(env, self.name)
        return parameters

    return eval_parameters


# -- what a catcher or retrier matches -----------------------------------------------------------------------
_NEVER_CAUGHT = (StatesErrorNameType.StatesRuntime,)
_NOT_BY_STATES_ALL = (StatesErrorNameType.StatesStatesDataLimitExceeded, StatesErrorNameType.StatesRuntime)


def _error_equals(self: error_equals_decl.ErrorEqualsDecl, env: Environment) -> None:
    error_name = env.stack[-1]
    typ = error_name.typ if isinstance(error_name, StatesErrorName) else None
    by_all = error_equals_decl.ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names
    if typ in _NEVER_CAUGHT or (typ in _NOT_BY_STATES_ALL and by_all):
        env.stack.pop()
        env.stack.append(False)
        return
    _before["error_equals"](self, env)


# -- the API -------------------------------------------------------------------------------------------------
def _too_long(field: str, limit: int) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: Any = None,
    execution_input: Any = None,
    *args: Any,
) -> Any:
    if execution_input is not None and len(str(execution_input).encode()) > PAYLOAD_LIMIT:
        raise _too_long("input", PAYLOAD_LIMIT)
    return _before["start_execution"](self, state_machine_arn, name, execution_input, *args)


def _send_task_success(self: StepFunctionsParserBackend, task_token: str, outcome: str) -> Any:
    if len(str(outcome).encode()) > PAYLOAD_LIMIT:
        raise _too_long("output", PAYLOAD_LIMIT)
    return _before["send_task_success"](self, task_token, outcome)


def _send_task_failure(
    self: StepFunctionsParserBackend, task_token: str, error: Any = None, cause: Any = None
) -> Any:
    if error is not None and len(error) > ERROR_LIMIT:
        raise _too_long("error", ERROR_LIMIT)
    if cause is not None and len(cause) > CAUSE_LIMIT:
        raise _too_long("cause", CAUSE_LIMIT)
    return _before["send_task_failure"](self, task_token, error=error, cause=cause)


def install() -> None:
    _before.update(
        add_event=EventManager.add_event,
        environment_init=Environment.__init__,
        set_error=Environment.set_error,
        error_equals=error_equals_decl.ErrorEqualsDecl._eval_body,
        start_execution=StepFunctionsParserBackend.start_execution,
        send_task_success=StepFunctionsParserBackend.send_task_success,
        send_task_failure=StepFunctionsParserBackend.send_task_failure,
    )
    patches: list[tuple[Any, str, Any]] = [
        (EventManager, "add_event", _add_event),
        (Environment, "__init__", _environment_init),
        (Environment, "set_error", _unless_history_full(Environment.set_error)),
        (Environment, "set_timed_out", _unless_history_full(Environment.set_timed_out)),
        (Environment, "set_ended", _unless_history_full(Environment.set_ended)),
        (error_equals_decl.ErrorEqualsDecl, "_eval_body", _error_equals),
        (StepFunctionsParserBackend, "start_execution", _start_execution),
        (StepFunctionsParserBackend, "send_task_success", _send_task_success),
        (StepFunctionsParserBackend, "send_task_failure", _send_task_failure),
        # moto's modules imported its measure by name: each gets this one
        (state_module, "is_within_size_quota", is_within_size_quota),
        (state_task_lambda, "is_within_size_quota", is_within_size_quota),
        (state_task_service, "is_within_size_quota", is_within_size_quota),
    ]
    for task_class in (StateTask, StateTaskLambda, StateTaskActivity):
        evaluate = task_class.__dict__["_eval_parameters"]
        patches.append((task_class, "_eval_parameters", _checked_parameters(evaluate)))
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
