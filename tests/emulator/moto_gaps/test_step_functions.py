"""Step Functions' executions as AWS ends them: a stopped execution stays ABORTED, whatever its task does
as it unwinds (moto recorded a task's runtime error over the stop, so a stop during a Lambda task ended
FAILED, now and then)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from moto.stepfunctions.parser.api import InvalidToken
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning, ProgramStopped
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from local.embedded_aws.moto_gaps import install


def running_environment() -> Environment:
    """An execution's environment in the running state, as moto's worker holds it (no program needed)."""
    environment = object.__new__(Environment)
    environment._state_mutex = threading.RLock()
    environment._program_state = ProgramRunning()
    environment.program_state_event = threading.Event()
    environment._frames = []
    return environment


def test_an_error_after_a_stop_leaves_the_execution_stopped() -> None:
    # Given the gaps installed, and an execution stopped while its task still runs
    install()
    environment = running_environment()
    environment.set_stop(stop_date=datetime.now(UTC), cause="by the test", error="Stopped")
    # When the task fails as it unwinds, or the execution's own time runs out
    environment.set_error({"error": "States.Runtime", "cause": "the task was interrupted"})
    environment.set_timed_out()
    # Then the execution is still the stopped one: it ends ABORTED
    assert isinstance(environment.program_state(), ProgramStopped)


def test_an_error_of_a_running_execution_still_fails_it() -> None:
    # Given the gaps installed, and an execution that was not stopped
    install()
    environment = running_environment()
    # When its task fails
    environment.set_error({"error": "States.TaskFailed", "cause": "boom"})
    # Then it fails, as before
    assert not isinstance(environment.program_state(), (ProgramRunning, ProgramStopped))


class _Starting:
    """An execution whose worker has not set up its program yet, as moto holds it for a moment."""

    status = "RUNNING"

    class exec_worker:
        env = None


class _Machine:
    def __init__(self) -> None:
        self.executions = [_Starting()]


def test_a_token_answered_while_an_execution_starts_is_looked_for_in_the_others_only() -> None:
    # Given the gaps installed, and a backend holding an execution that is still starting
    install()
    backend = object.__new__(StepFunctionsParserBackend)
    backend.state_machines = [_Machine()]
    # When a token that no running execution holds is answered
    # Then the answer is AWS's for an unknown token, not a failure on the starting execution
    with pytest.raises(InvalidToken):
        backend.send_task_success("no-such-token", "{}")
