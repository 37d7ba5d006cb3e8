"""The sandbox that runs emulated Batch jobs: real bubblewrap, real processes, no sleeps as sync."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.dataplane import sandbox as sandbox_module
from local.dataplane.sandbox import Sandbox, SandboxDns, SandboxResult

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bwrap missing: apt-get install bubblewrap"
)


@pytest.fixture
def box() -> Sandbox:
    return Sandbox(time_limit_seconds=30.0)


@pytest.fixture
def host_listener() -> Iterator[socket.socket]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    yield listener
    listener.close()


def texts(result: SandboxResult) -> list[str]:
    return [text for _, text in result.lines]


@needs_bwrap
def test_runs_a_shell_command_and_streams_its_output(box: Sandbox) -> None:
    # Given a callback that records every line as it arrives
    streamed: list[tuple[int, str]] = []
    before_ms = time.time_ns() // 1_000_000

    # When a shell computes 6*7 in the sandbox
    result = box.run(["sh", "-c", "echo $((6*7))"], on_line=lambda ms, line: streamed.append((ms, line)))

    # Then it succeeds, the result holds the line, and the callback got the same line and stamp
    assert result.exit_code == 0
    assert result.reason is None
    assert not result.timed_out
    assert texts(result) == ["42"]
    assert streamed == result.lines
    assert result.lines[0][0] >= before_ms


@needs_bwrap
def test_exit_code_and_stderr_interleaved_in_arrival_order(box: Sandbox) -> None:
    # Given a command that writes to stdout and stderr, then exits 3
    script = "echo one; echo two >&2; echo three; exit 3"

    # When it runs
    result = box.run(["sh", "-c", script])

    # Then its exit code is kept and both streams are captured in order
    assert result.exit_code == 3
    assert result.reason == "Error"
    assert not result.timed_out
    assert texts(result) == ["one", "two", "three"]


@needs_bwrap
def test_unknown_command_exits_127(box: Sandbox) -> None:
    # Given a command that exists nowhere
    # When it runs
    result = box.run(["no-such-command-anywhere"])

    # Then the sandbox reports it like a container runtime would
    assert result.exit_code == 127
    assert result.reason == "CommandNotFound"
    assert any("no-such-command-anywhere" in text for text in texts(result))


@needs_bwrap
def test_host_writable_filesystem_is_not_visible(box: Sandbox, tmp_path: Path) -> None:
    # Given a host path the test owns
    escape = tmp_path / "escape"

    # When the command tries to write there, and looks for the host's private directories
    write = box.run(["sh", "-c", f"echo leaked > '{escape}'"])
    look = box.run(
        [
            "sh",
            "-c",
            'for p in /root /home /work "$1"; do if test -e "$p"; then echo "visible $p"; fi; done; '
            "ls -A /tmp",
            "sh",
            str(tmp_path),
        ]
    )

    # Then the write fails and nothing appears on the host
    assert write.exit_code != 0
    assert not escape.exists()
    # And none of the host's writable directories exist inside; the sandbox's /tmp starts empty
    assert look.exit_code == 0
    assert texts(look) == []


@needs_bwrap
def test_usr_is_read_only(box: Sandbox) -> None:
    # Given the host's /usr, bound into the sandbox as every image's filesystem
    target = Path("/usr/sandbox-escape-probe")
    assert not target.exists()

    # When the command tries to write into it
    result = box.run(["sh", "-c", f"echo leaked > {target}"])

    # Then the write fails and the host's /usr is untouched
    try:
        assert result.exit_code != 0
        assert any("Read-only file system" in text for text in texts(result))
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


@needs_bwrap
def test_scratch_files_are_thrown_away(box: Sandbox) -> None:
    # Given a first job that writes into its /tmp and its root
    first = box.run(["sh", "-c", "echo data > /tmp/scratch && echo data > /scratch"])

    # When a second job looks for them
    second = box.run(["sh", "-c", "test ! -e /tmp/scratch && test ! -e /scratch"])

    # Then the first could write, and the second sees a fresh filesystem
    assert first.exit_code == 0
    assert second.exit_code == 0


@needs_bwrap
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="needs the host's /usr/bin/python3")
def test_no_network_to_host_listener(box: Sandbox, host_listener: socket.socket) -> None:
    # Given a listener on the host's loopback
    port = host_listener.getsockname()[1]
    connect = (
        "import socket, sys\n"
        "print(sorted(name for _, name in socket.if_nameindex()))\n"
        "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)\n"
        "print('connected')\n"
    )

    # When a command in the sandbox tries to connect to it
    result = box.run(["python3", "-u", "-c", connect, str(port)])

    # Then the sandbox only has its own loopback, the connection fails, and the host accepted nothing
    assert result.exit_code != 0
    assert texts(result)[0] == "['lo']"
    assert "connected" not in texts(result)
    assert any("ConnectionRefusedError" in text for text in texts(result))
    with pytest.raises(BlockingIOError):
        host_listener.accept()


@needs_bwrap
def test_only_given_environment_is_visible(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a host variable that must not leak
    monkeypatch.setenv("SANDBOX_HOST_SECRET", "leak")

    # When the command prints its environment
    result = box.run(["env"], env={"FOO": "bar"})

    # Then it sees only the given variable plus PATH and HOME=/tmp (and the shell's PWD)
    assert result.exit_code == 0
    seen = dict(text.split("=", 1) for text in texts(result))
    assert seen["FOO"] == "bar"
    assert seen["HOME"] == "/tmp"
    assert seen["PATH"] == sandbox_module.SANDBOX_PATH
    assert "SANDBOX_HOST_SECRET" not in seen
    assert set(seen) <= {"FOO", "HOME", "PATH", "PWD"}
    assert os.environ["SANDBOX_HOST_SECRET"] == "leak"


@needs_bwrap
@pytest.mark.timeout(60)
def test_time_limit_kills_the_sandbox() -> None:
    # Given a sandbox with a one-second limit
    short = Sandbox(time_limit_seconds=1.0)
    started = time.monotonic()

    # When the command sleeps for 30 seconds
    result = short.run(["sleep", "30"])

    # Then it is killed like a container out of time, well before the sleep ends
    elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.exit_code == 137
    assert result.reason == "OutOfTime"
    assert elapsed < 20


@needs_bwrap
@pytest.mark.timeout(60)
def test_time_limit_applies_when_output_is_closed() -> None:
    # Given a sandbox with a one-second limit and a command that closes its output, then sleeps
    short = Sandbox(time_limit_seconds=1.0)

    # When it runs
    result = short.run(["sh", "-c", "exec >&- 2>&-; sleep 30"])

    # Then the limit still ends it
    assert result.timed_out
    assert result.exit_code == 137


@needs_bwrap
@pytest.mark.timeout(60)
def test_cancel_terminates_the_whole_sandbox(box: Sandbox) -> None:
    # Given a cancel event set from the reader thread once the command says it started
    cancel = threading.Event()

    def on_line(_ms: int, line: str) -> None:
        if line == "started":
            cancel.set()

    # When a command starts background work and sleeps
    result = box.run(
        ["sh", "-c", "sleep 30 & echo started; sleep 30"],
        on_line=on_line,
        cancel=cancel,
    )

    # Then the sandbox is terminated like a stopped container
    assert result.exit_code == 143
    assert result.reason == "Terminated"
    assert not result.timed_out
    assert texts(result) == ["started"]


@needs_bwrap
def test_cancel_after_the_command_ended_keeps_its_result(box: Sandbox) -> None:
    # Given a cancel event that is set only once the command has already exited
    cancel = threading.Event()

    # When the command exits on its own
    result = box.run(["sh", "-c", "exit 5"], cancel=cancel)
    cancel.set()

    # Then its own exit code stands
    assert result.exit_code == 5
    assert result.reason == "Error"


@needs_bwrap
def test_a_failing_callback_kills_the_sandbox_and_raises(box: Sandbox) -> None:
    # Given a callback that fails on the first line
    def on_line(_ms: int, _line: str) -> None:
        raise LookupError("log stream gone")

    # When a long command prints a line
    # Then the error reaches the caller instead of the sandbox running on
    with pytest.raises(LookupError, match="log stream gone"):
        box.run(["sh", "-c", "echo first; sleep 30"], on_line=on_line)


@needs_bwrap
def test_file_size_is_limited(box: Sandbox) -> None:
    # Given prlimit on the host
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) missing")

    # When the command writes a file larger than 64 MiB
    result = box.run(["sh", "-c", "head -c 70000000 /dev/zero > /tmp/big; echo $?; wc -c < /tmp/big"])

    # Then the write is cut at the limit
    assert texts(result)[-2:] == ["153", str(sandbox_module.MAX_FILE_BYTES)]


def test_missing_bwrap_refuses_to_run_unconfined(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a machine without bwrap
    monkeypatch.setattr(shutil, "which", lambda _name: None)

    # When a sandbox is created
    # Then it refuses, and says how to install bubblewrap
    with pytest.raises(RuntimeError, match=r"apt-get install bubblewrap"):
        Sandbox()


def test_rejects_a_non_positive_time_limit() -> None:
    # Given / When / Then: a sandbox without a positive time limit cannot exist
    with pytest.raises(ValueError, match="positive"):
        Sandbox(time_limit_seconds=0)


RESOLVER = SandboxDns(
    udp=True,
    tcp=True,
    names={"kubernetes.default.svc.cluster.local": "10.100.0.1"},
    suffixes={".amazonaws.com": "52.94.1.2"},
    search=("jobs.svc.cluster.local", "svc.cluster.local", "cluster.local", "ec2.internal"),
)
LOOKUPS = "getent hosts kubernetes.default; getent hosts sts.amazonaws.com; getent hosts nowhere.example"


@needs_bwrap
def test_names_resolve_through_the_resolver_when_dns_is_reachable(box: Sandbox) -> None:
    # When a job looks names up in a sandbox whose node reaches CoreDNS over UDP and TCP
    result = box.run(["/bin/sh", "-c", f"{LOOKUPS}; echo rc=$?; cat /etc/resolv.conf"], dns=RESOLVER)
    lines = texts(result)
    # Then a Service name resolves through the pod's search path, an AWS endpoint through the VPC's
    # resolver, and anything else is not found
    assert lines[0].split() == ["10.100.0.1", "kubernetes.default.svc.cluster.local"]
    assert lines[1].split() == ["52.94.1.2", "sts.amazonaws.com"]
    assert lines[2] == "rc=2"
    # And the job's resolv.conf is a ClusterFirst pod's, pointing at the resolver
    assert lines[3:5] == [
        "nameserver 127.0.0.1",
        "search jobs.svc.cluster.local svc.cluster.local cluster.local ec2.internal",
    ]


@needs_bwrap
@pytest.mark.parametrize(
    "dns",
    [
        SandboxDns(search=RESOLVER.search),  # the node's groups let no DNS through
        SandboxDns(tcp=True, names=RESOLVER.names, suffixes=RESOLVER.suffixes),  # TCP only: lookups use UDP
    ],
    ids=["no-dns", "tcp-only"],
)
def test_no_name_resolves_when_the_groups_keep_udp_dns_out(box: Sandbox, dns: SandboxDns) -> None:
    # When the same lookups run where no resolver answers UDP
    result = box.run(["/bin/sh", "-c", "getent hosts sts.amazonaws.com"], dns=dns)
    # Then the name does not resolve (getent's "not found")
    assert (result.exit_code, texts(result)) == (2, [])
