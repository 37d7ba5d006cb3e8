"""The unit tests' rule: no network and no other process. ``make unit`` passes ``--disable-socket``
(pytest-socket); this refuses every way of starting a process, so a test that needs one fails at once,
naming it, instead of quietly making the fast loop slow."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest


class ProcessRefused(RuntimeError):
    """A unit test tried to start a process: it belongs with the integration tests."""


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ProcessRefused(f"unit tests start no process ({what}{args[:1]!r})")

    return refuse


@pytest.fixture(autouse=True)
def _no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse("subprocess.Popen"))
    for name in ("system", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _refuse(f"os.{name}"))
