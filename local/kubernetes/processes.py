"""Child processes (etcd, kube-apiserver, kube-controller-manager) that never outlive the test process.

Three guards, because each covers a way the others miss:

- each child leads its own process group, and :meth:`Child.stop` kills the whole group;
- an ``atexit`` hook stops every child still running when the interpreter exits normally;
- the kernel sends SIGKILL to a child whose parent dies (``PR_SET_PDEATHSIG``), which covers a test
  process killed outright (SIGKILL, an OOM kill, a CI timeout), where no Python code runs.

Linux delivers that death signal when the *thread* that forked the child ends, not the process. Clusters
are started from short-lived threads (a moto server request thread handles CreateCluster), so every
child is forked from one launcher thread that lives as long as the process.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_LOG_TAIL_BYTES = 4000


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Launcher:
    """The one long-lived thread that forks every child (see the module's docstring)."""

    def __init__(self) -> None:
        self._requests: queue.Queue[
            tuple[Callable[[], subprocess.Popen[bytes]], Future[subprocess.Popen[bytes]]]
        ]
        self._requests = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="kubernetes-launcher", daemon=True)
                self._thread.start()
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((start, future))
        return future.result()

    def _serve(self) -> None:
        while True:
            start, future = self._requests.get()
            try:
                future.set_result(start())
            except BaseException as error:
                future.set_exception(error)


_LAUNCHER = _Launcher()
_RUNNING: set[Child] = set()
_RUNNING_LOCK = threading.Lock()


class Child:
    """One running binary, its output going to ``log_file``."""

    def __init__(self, name: str, argv: list[str], log_file: Path):
        self.name = name
        self.log_file = log_file

        def start() -> subprocess.Popen[bytes]:
            with log_file.open("ab") as log:
                return subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, killed whole by stop()
                    preexec_fn=_die_with_parent,  # only a prctl call, see the docstring
                )

        self._process = _LAUNCHER.run(start)
        with _RUNNING_LOCK:
            _RUNNING.add(self)

    @property
    def pid(self) -> int:
        return self._process.pid

    def exited(self) -> int | None:
        """The exit code if the process has ended, else None."""
        return self._process.poll()

    def log_tail(self) -> str:
        try:
            with self.log_file.open("rb") as log:
                log.seek(max(0, self.log_file.stat().st_size - _LOG_TAIL_BYTES))
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, grace_seconds: float = 5.0) -> None:
        """SIGTERM to the process group, then SIGKILL after ``grace_seconds``; waits for the end.

        The group is signalled only while its leader is unreaped, so its id cannot have been reused."""
        with _RUNNING_LOCK:
            _RUNNING.discard(self)
        if self._process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self._process.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self._process.wait()

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)


def stop_all() -> None:
    """Stop every child still running (registered with atexit)."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for child in running:
        child.stop(grace_seconds=2.0)


atexit.register(stop_all)
