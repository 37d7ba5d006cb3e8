"""``make demo`` started as a user starts it: from the repository's root, in its own session (as a terminal
runs a foreground job), with none of this test process's AWS or make settings, its output read line by line.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.conftest import TODAY

REPO_ROOT = Path(__file__).resolve().parents[2]
# Settings a user's shell would not have: an embedded AWS of this process, or the make running the tests.
_NOT_INHERITED = ("AWS_", "MOTO_", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")


def make_path() -> str:
    found = shutil.which("make")
    assert found is not None, "make is not on PATH"
    return found


def user_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}


class DemoProcess:
    def __init__(self, *demo_args: str):
        """``make demo ARGS=...``: ``demo_args`` after the tests' day (EKS's calendar as on TODAY)."""
        arguments = " ".join([f"--today={TODAY.isoformat()}", *demo_args])
        self.process = subprocess.Popen(
            [make_path(), "--no-print-directory", "demo", f"ARGS={arguments}"],
            cwd=REPO_ROOT,
            env=user_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, pattern: str, bound_seconds: float) -> re.Match[str]:
        """The first match of ``pattern`` in the output, waiting for it (the bound only stops a hung test)."""
        deadline = time.monotonic() + bound_seconds
        with self._changed:
            while True:
                found = re.search(pattern, "".join(self._lines), re.MULTILINE)
                if found:
                    return found
                if self.process.poll() is not None and not self._reader.is_alive():
                    code = self.process.returncode
                    raise AssertionError(f"demo exited ({code}) without {pattern!r}:\n{''.join(self._lines)}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {pattern!r} within {bound_seconds} s:\n{''.join(self._lines)}")
                self._changed.wait(0.5)

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the whole foreground process group, as a terminal sends it."""
        os.killpg(self.process.pid, signal.SIGINT)

    def wait(self, bound_seconds: float) -> int:
        code = self.process.wait(bound_seconds)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        """After a failed test: nothing of the demo may outlive it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
