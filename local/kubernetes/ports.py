"""Free loopback ports for the servers a test process starts.

The kernel picks a port that is free now; it is released before the server binds it, so another process
could take it in between. On a test machine that window is harmless in practice, and a server that
cannot bind fails at once with a clear log line rather than hanging.
"""

from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port
