"""What a process tree holds, read from /proc (no psutil): its processes and the TCP ports they listen on.

Used to check that ``make demo ARGS=--keep`` leaves nothing behind after Ctrl-C. The kube-apiserver, its
controller-manager and etcd each lead their own session (so a process-group signal alone would miss them),
so the tree is walked by parent pid while the demo runs, and each process is remembered with its start
time: after the demo, a pid that exists again with another start time is a new process, not a survivor.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Process:
    pid: int
    start_time: int  # clock ticks after boot (/proc/<pid>/stat field 22)
    command: str

    def alive(self) -> bool:
        """Still running (a zombie counts as gone: it holds no port and runs nothing)."""
        stat = _stat(self.pid)
        return stat is not None and stat[1] == self.start_time and stat[2] != "Z"


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, start time, state) of ``pid``, or None if there is no such process."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    after_name = text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    return int(after_name[1]), int(after_name[19]), after_name[0]


def _command(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def descendants(root: int) -> list[Process]:
    """``root`` and every process below it, now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        stat = _stat(pid)
        if stat is not None:
            found.append(Process(pid, stat[1], _command(pid)))
            stack.extend(children.get(pid, []))
    return found


def listening_ports(processes: list[Process]) -> set[int]:
    """The TCP ports (IPv4 and IPv6) on which any of ``processes`` listens."""
    inodes: set[str] = set()
    for process in processes:
        try:
            for fd in (PROC / str(process.pid) / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
        except OSError:
            continue
    return {port for port, inode in _listening_sockets() if inode in inodes}


def _listening_sockets() -> list[tuple[int, str]]:
    """(port, socket inode) of every listening TCP socket on the machine."""
    sockets = []
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == _TCP_LISTEN:
                sockets.append((int(fields[1].rsplit(":", 1)[1], 16), fields[9]))
    return sockets


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port`` and a new server could bind it on 127.0.0.1."""
    if any(listening == port for listening, _ in _listening_sockets()):
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
