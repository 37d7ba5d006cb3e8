"""Run an emulated Batch job's container command confined by bubblewrap, never as a plain host command.

The local emulator of AWS Batch has no container runtime. Each job's command runs inside a
``bwrap`` sandbox (Debian's ``bubblewrap`` package) that stands in for the job's pod:

- every namespace is unshared (``--unshare-all`` plus an explicit user namespace): its own PIDs,
  hostname ``sandbox``, IPC and cgroup view; all capabilities are dropped and nested user
  namespaces are refused. The network namespace is made just before bwrap (``unshare --net``) by
  :mod:`.sandbox_dns`, which bwrap shares (``--share-net``): no network but a private loopback,
  where a resolver standing in for CoreDNS answers on port 53 when the job's node may reach it
  (``dns``; the job's ``/etc/resolv.conf`` names it, with a pod's search path), and nothing
  answers otherwise; the same launcher serves the pod's credential endpoints, the EKS Pod Identity
  agent and the node's metadata service, when ``identity`` says the pod reaches them
  (:mod:`.pod_identity`);
- the filesystem is thrown away with the job: a tmpfs root, a tmpfs ``/tmp`` (the working
  directory and ``HOME``), ``/proc`` and a minimal ``/dev``; the host's ``/usr`` (and the
  ``/bin``, ``/sbin``, ``/lib*`` links or directories as the host has them) and a few ``/etc``
  files a shell and the dynamic loader need are bound read-only. Nothing of the host's writable
  filesystem (``/root``, ``/home``, ``/work``, the host's ``/tmp``...) is visible;
- the environment is cleared: only the job's variables, plus ``PATH`` and ``HOME=/tmp`` unless the
  job sets them;
- limits: a wall-clock time limit (exit 137, like a SIGKILLed container), and, through util-linux
  ``prlimit`` when it is installed, at most 64 MiB per written file, no core dumps, 1024 open
  files and 4096 processes for the user (root is exempt from the last by the kernel);
- the sandbox dies as a whole: on the time limit or on TerminateJob (exit 143) the init of its
  PID namespace is SIGKILLed, which ends every process in it, and bwrap reaps it and exits; bwrap
  itself runs in its own process group with ``--die-with-parent`` as the fallback, so no process
  is left behind.

The image named in a job definition (for example ``public.ecr.aws/amazonlinux/amazonlinux:2023``)
is never pulled: the host's ``/usr`` stands in for every image, so a job sees the host's
binaries (``sh``, ``bash``, ``python3``, coreutils...) whatever image it names.

If ``bwrap`` is missing or cannot build a sandbox on this machine, :class:`Sandbox` refuses to
start (``RuntimeError``); it never falls back to running a command unconfined.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from local.dataplane.pod_identity import TOKEN_FILE, PodCredentials
from local.dataplane.sandbox_dns import config_text

logger = logging.getLogger(__name__)

SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SANDBOX_TMP = "/tmp"  # noqa: S108 - the sandbox's own tmpfs, never the host's /tmp
SANDBOX_HOME = SANDBOX_TMP

EXIT_TIMED_OUT = 137  # 128 + SIGKILL, what a container killed for its time limit reports
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a container stopped by TerminateJob reports
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126

REASON_OUT_OF_TIME = "OutOfTime"
REASON_TERMINATED = "Terminated"
REASON_NOT_FOUND = "CommandNotFound"
REASON_NOT_EXECUTABLE = "CommandNotExecutable"
REASON_ERROR = "Error"

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_OPEN_FILES = 1024
MAX_PROCESSES = 4096
TMP_BYTES = 256 * 1024 * 1024
ROOT_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 256 * 1024  # a CloudWatch Logs event holds at most 256 KiB: longer lines are split

_INSTALL_HINT = "install Debian's bubblewrap (apt-get install bubblewrap)"
# How often a running command checks a caller's cancel event (threading has no wait-for-either).
_CANCEL_POLL_SECONDS = 0.05
_PROBE_TIMEOUT_SECONDS = 30.0
_READER_JOIN_SECONDS = 10.0
_KILL_GRACE_SECONDS = 5.0  # for bwrap to reap its killed child and exit
# Top-level names that are links into /usr on merged-/usr systems, or real directories elsewhere.
_ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# What a shell, the dynamic loader and name lookups read from /etc; all optional.
_ETC_FILES = (
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "localtime",
    "os-release",
)
# Run the command through the image's shell so a missing command exits 127 and a non-executable
# one 126, as a container runtime reports them; ``exec`` leaves no shell behind.
_EXEC_WRAPPER = ("/bin/sh", "-c", 'exec "$@"', "sh")
_NETWORK_LAUNCHER = Path(__file__).resolve().with_name("sandbox_dns.py")


@dataclass(frozen=True)
class SandboxDns:
    """Name resolution inside the sandbox: over which protocols a resolver answers (neither: none does),
    what it answers (:mod:`.sandbox_dns`), and the search path of the job's ``/etc/resolv.conf``."""

    udp: bool = False
    tcp: bool = False
    names: dict[str, str] = field(default_factory=dict)
    suffixes: dict[str, str] = field(default_factory=dict)
    search: tuple[str, ...] = ()

    def resolv_conf(self) -> str:
        search = f"search {' '.join(self.search)}\n" if self.search else ""
        return f"nameserver 127.0.0.1\n{search}options ndots:5 timeout:1 attempts:2\n"

    def launcher_config(self, more: tuple[str, ...] = ()) -> str:
        """The launcher's config: the resolver's, then ``more`` lines (the credential endpoints)."""
        return config_text(self.udp, self.tcp, self.names, self.suffixes, more)


NO_DNS = SandboxDns()


@dataclass(frozen=True)
class SandboxResult:
    """How a sandboxed command ended and everything it printed."""

    exit_code: int
    """The command's exit code; 137 when killed for the time limit, 143 when cancelled,
    127 when the command is not found, 128 + N when a signal N ended it."""
    lines: list[tuple[int, str]]
    """(epoch milliseconds when read, line without its newline): stdout and stderr interleaved in
    arrival order."""
    timed_out: bool
    reason: str | None
    """None on success; otherwise OutOfTime, Terminated, CommandNotFound, CommandNotExecutable
    or Error."""


def _find_bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise RuntimeError(f"bwrap not found: emulated jobs run only inside a sandbox; {_INSTALL_HINT}")
    return path


def _root_args() -> list[str]:
    """The read-only system the command sees: /usr, the root links as the host has them, /etc bits."""
    args: list[str] = []
    for name in _ROOT_LINKS:
        host = f"/{name}"
        if os.path.islink(host):
            args += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            args += ["--ro-bind", host, host]
    for name in _ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _limit(name: int, wanted: int) -> int:
    """``wanted``, lowered to the current hard limit (only root may raise a hard limit)."""
    hard = resource.getrlimit(name)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


@functools.cache
def _prlimit_args() -> tuple[str, ...]:
    """A ``prlimit`` prefix that sets the limits before bwrap starts (no thread-unsafe preexec_fn)."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        logger.warning("prlimit (util-linux) not found: sandboxes run without file/process limits")
        return ()
    fsize = _limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES)
    nofile = _limit(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)
    nproc = _limit(resource.RLIMIT_NPROC, MAX_PROCESSES)
    return (
        prlimit,
        f"--fsize={fsize}:{fsize}",
        "--core=0:0",
        f"--nofile={nofile}:{nofile}",
        f"--nproc={nproc}:{nproc}",
        "--",
    )


@functools.cache
def _supports_size(bwrap: str) -> bool:
    """Whether this bwrap can cap a tmpfs (``--size``, bubblewrap 0.8 and later)."""
    completed = subprocess.run(
        [bwrap, "--help"], capture_output=True, text=True, check=False, timeout=_PROBE_TIMEOUT_SECONDS
    )
    return "--size" in completed.stdout + completed.stderr


def _network_args(scratch: Path, dns: SandboxDns, identity: PodCredentials | None) -> list[str]:
    """The network namespace and its resolver, around bwrap (:mod:`.sandbox_dns`): ``unshare --net``, in a
    user namespace of its own unless root (which owns a new network namespace as it is)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError(
            f"unshare (util-linux) not found: emulated jobs run only inside a sandbox; {_INSTALL_HINT}"
        )
    config = scratch / "dns.conf"
    more = tuple(identity.launcher_lines()) if identity is not None else ()
    config.write_text(dns.launcher_config(more))
    namespaces = ["--net"] if os.geteuid() == 0 else ["--user", "--map-root-user", "--net"]
    return [unshare, *namespaces, sys.executable, "-I", "-S", str(_NETWORK_LAUNCHER), str(config), "--"]


def _bwrap_args(bwrap: str, env: Mapping[str, str], resolv_conf: Path, token: Path | None) -> list[str]:
    sized = _supports_size(bwrap)
    args = [
        bwrap,
        "--unshare-all",
        "--share-net",
        "--unshare-user",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
    ]
    args += ["--size", str(ROOT_BYTES)] if sized else []
    args += ["--tmpfs", "/", "--ro-bind", "/usr", "/usr"]
    args += _root_args()
    args += ["--ro-bind", str(resolv_conf), "/etc/resolv.conf"]
    args += ["--ro-bind", str(token), TOKEN_FILE] if token is not None else []
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(TMP_BYTES)] if sized else []
    args += ["--tmpfs", SANDBOX_TMP, "--chdir", SANDBOX_TMP, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


def _command(
    bwrap: str,
    env: Mapping[str, str],
    dns: SandboxDns,
    scratch: Path,
    argv: list[str],
    identity: PodCredentials | None = None,
) -> list[str]:
    """prlimit, the network namespace with its resolver and credential endpoints, bwrap, then the command;
    files go in ``scratch``."""
    resolv_conf = scratch / "resolv.conf"
    resolv_conf.write_text(dns.resolv_conf())
    token = None
    if identity is not None and identity.env():
        token = scratch / "pod-identity-token"
        token.write_text(identity.token)
        env = {**env, **identity.env()}
    network = _network_args(scratch, dns, identity)
    return [*_prlimit_args(), *network, *_bwrap_args(bwrap, env, resolv_conf, token), *argv]


def _validated_env(env: Mapping[str, str] | None) -> dict[str, str]:
    merged = {"PATH": SANDBOX_PATH, "HOME": SANDBOX_HOME}
    for key, value in (env or {}).items():
        if not key or "=" in key or "\0" in key or "\0" in value:
            raise ValueError(f"invalid environment variable name or value: {key!r}")
        merged[key] = value
    return merged


@functools.cache
def _probe(bwrap: str) -> None:
    """Build one sandbox, its resolver listening, and run ``true`` in it, so a machine that cannot confine
    (or cannot give a sandbox its network namespace) fails loudly."""
    scratch = Path(tempfile.mkdtemp(prefix="batch-on-eks-sandbox-"))
    argv = _command(
        bwrap, _validated_env(None), SandboxDns(udp=True, tcp=True), scratch, ["/bin/sh", "-c", "true"]
    )
    try:
        completed = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=_PROBE_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"bwrap cannot start a sandbox here: {exc}; {_INSTALL_HINT}") from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if completed.returncode != 0:
        detail = completed.stderr.strip() or f"exit code {completed.returncode}"
        raise RuntimeError(f"bwrap cannot build a sandbox on this machine: {detail}")


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (empty when unknown: the kernel lacks CONFIG_PROC_CHILDREN)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
            return [int(child) for child in listing.read().split()]
    except (OSError, ValueError):
        return []


def _reason(exit_code: int) -> str | None:
    if exit_code == 0:
        return None
    if exit_code == EXIT_NOT_FOUND:
        return REASON_NOT_FOUND
    if exit_code == EXIT_NOT_EXECUTABLE:
        return REASON_NOT_EXECUTABLE
    return REASON_ERROR


class _Run:
    """One running sandbox: a reader thread collects lines and reaps it; ``kill`` ends it whole."""

    def __init__(self, proc: subprocess.Popen[bytes], on_line: Callable[[int, str], None] | None) -> None:
        self.proc = proc
        self.on_line = on_line
        self.lines: list[tuple[int, str]] = []
        self.callback_error: BaseException | None = None
        self.finished = threading.Event()
        self._kill_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, name=f"sandbox-{proc.pid}", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stream = self.proc.stdout
        try:
            if stream is not None:
                for raw in iter(lambda: stream.readline(MAX_LINE_BYTES), b""):
                    self._line(raw)
            self.proc.wait()
        finally:
            self.finished.set()

    def _line(self, raw: bytes) -> None:
        stamp = time.time_ns() // 1_000_000
        text = raw.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")
        self.lines.append((stamp, text))
        if self.on_line is None or self.callback_error is not None:
            return
        try:
            self.on_line(stamp, text)
        except BaseException as exc:  # the caller's bug must not leave the sandbox running
            self.callback_error = exc
            self.kill()

    def kill(self) -> bool:
        """SIGKILL the sandbox's PID-namespace init, which takes every process of the sandbox along.

        The process started is the network launcher (:mod:`.sandbox_dns`), bwrap its child, the init
        bwrap's: bwrap then reaps the init and exits by itself, and the launcher after it, so nothing
        is left for the host's init to reap. Without an init to kill yet (bwrap still setting up),
        kill the process group instead: ``--die-with-parent`` ends the rest. Returns whether the
        sandbox was still running.
        """
        with self._kill_lock:
            if self.finished.is_set() or self.proc.poll() is not None:
                return False
            children = [init for bwrap in _children(self.proc.pid) for init in _children(bwrap)]
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            if not children:
                self._kill_group()
            return True

    def kill_group(self) -> None:
        """SIGKILL bwrap's own process group: the fallback when bwrap does not exit after ``kill``."""
        with self._kill_lock:
            if self.proc.poll() is None:
                self._kill_group()

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def close(self) -> int:
        self.reader.join(_READER_JOIN_SECONDS)
        if self.reader.is_alive():  # only if something outside the namespace holds the pipe: move on
            logger.error("sandbox %s: output still open after the sandbox ended", self.proc.pid)
        returncode = self.proc.wait()
        if self.proc.stdout is not None and not self.reader.is_alive():
            self.proc.stdout.close()
        return returncode if returncode >= 0 else 128 - returncode


class Sandbox:
    """Runs commands confined by bubblewrap with a wall-clock time limit."""

    def __init__(self, time_limit_seconds: float = 60.0) -> None:
        if not time_limit_seconds > 0:
            raise ValueError(f"time_limit_seconds must be positive, got {time_limit_seconds!r}")
        self.time_limit_seconds = time_limit_seconds
        self._bwrap = _find_bwrap()
        _probe(self._bwrap)

    def run(
        self,
        argv: list[str],
        env: dict[str, str] | None = None,
        on_line: Callable[[int, str], None] | None = None,
        cancel: threading.Event | None = None,
        dns: SandboxDns = NO_DNS,
        identity: PodCredentials | None = None,
    ) -> SandboxResult:
        """Run ``argv`` in a fresh sandbox and wait for it to end.

        ``on_line(epoch_ms, line)`` is called from a reader thread for each output line as it
        arrives (stdout and stderr together). Setting ``cancel`` kills the whole sandbox (exit
        143, reason Terminated); so does the time limit (exit 137, ``timed_out``). If ``on_line``
        raises, the sandbox is killed and the exception is raised here. ``dns``: how names resolve
        inside (by default, they do not). ``identity``: the pod's credential endpoints (none by default).
        """
        if not argv or any("\0" in arg for arg in argv):
            raise ValueError(f"argv must be a non-empty list of strings without NUL: {argv!r}")
        scratch = Path(tempfile.mkdtemp(prefix="batch-on-eks-sandbox-"))
        try:
            return self._run(
                _command(self._bwrap, _validated_env(env), dns, scratch, [*_EXEC_WRAPPER, *argv], identity),
                on_line,
                cancel,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _run(
        self,
        command: list[str],
        on_line: Callable[[int, str], None] | None,
        cancel: threading.Event | None,
    ) -> SandboxResult:
        deadline = time.monotonic() + self.time_limit_seconds
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        run = _Run(proc, on_line)
        timed_out = cancelled = False
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                wait = remaining if cancel is None else min(remaining, _CANCEL_POLL_SECONDS)
                if run.finished.wait(wait):
                    break
        finally:
            killed = run.kill()  # a no-op when the command already ended on its own
            if killed and not run.finished.wait(_KILL_GRACE_SECONDS):
                run.kill_group()
            exit_code = run.close()
        if run.callback_error is not None:
            raise run.callback_error
        if killed and timed_out:
            logger.info("sandbox %s: time limit of %ss reached", proc.pid, self.time_limit_seconds)
            return SandboxResult(EXIT_TIMED_OUT, run.lines, timed_out=True, reason=REASON_OUT_OF_TIME)
        if killed and cancelled:
            logger.info("sandbox %s: cancelled", proc.pid)
            return SandboxResult(EXIT_TERMINATED, run.lines, timed_out=False, reason=REASON_TERMINATED)
        return SandboxResult(exit_code, run.lines, timed_out=False, reason=_reason(exit_code))
