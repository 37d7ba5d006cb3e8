"""Loopback ports for the servers a test process starts (kube-apiserver, etcd), which bind them later, in
another process: a port is chosen here, released, and bound there a moment after.

The kernel's own choice (bind to port 0) comes from its ephemeral range, which every outgoing connection
draws from too: in that moment another connection, or another process's server, could take it. So ports
come from below the ephemeral range instead, where nothing is handed out unasked; each process starts at its
own random place in it, parallel test workers (pytest-xdist's ``PYTEST_XDIST_WORKER``) each in a slice of
their own, and a port another process holds is skipped (probed by binding it).
"""

from __future__ import annotations

import os
import random
import re
import socket
import threading

LOOPBACK = "127.0.0.1"
# Below Linux's default ephemeral range (32768-60999) and above the well-known and most registered ports.
_FIRST, _LAST = 10_000, 30_000
_SLICES = 8

_lock = threading.Lock()
_next: int | None = None


def _slice() -> tuple[int, int]:
    worker = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    if worker is None:
        return _FIRST, _LAST
    width = (_LAST - _FIRST) // _SLICES
    start = _FIRST + (int(worker.group(1)) % _SLICES) * width
    return start, start + width


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A loopback port no process holds now, and that this process has not handed out before."""
    global _next
    first, last = _slice()
    with _lock:
        if _next is None:
            _next = random.randrange(first, last)  # noqa: S311 (spreading processes, not a secret)
        for _ in range(last - first):
            port = _next
            _next = first + (_next + 1 - first) % (last - first)
            if _free(port):
                return port
    raise OSError(f"no free loopback port in {first}-{last}")
