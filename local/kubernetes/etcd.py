"""One etcd per test process, shared by every local API server (each keeps its own ``--etcd-prefix``).

One etcd instead of one per cluster saves a process and its start-up per cluster; the prefixes keep the
clusters apart exactly as separate stores would. It starts on first use, keeps its data in a temporary
directory (on tmpfs where there is one: etcd fsyncs every write, and the data is throwaway), and is
stopped, its directory removed, when the process exits.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
from pathlib import Path

import requests

from local.kubernetes.binaries import find_binaries
from local.kubernetes.ports import LOOPBACK, free_port
from local.kubernetes.processes import Child

READY_BOUND_SECONDS = 30.0
_TMPFS = Path("/dev/shm")  # noqa: S108 - only a parent for mkdtemp (a private 0700 directory)


class EtcdFailed(RuntimeError):
    pass


class _SharedEtcd:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: Child | None = None
        self._data_dir: Path | None = None
        self._url = ""

    def url(self) -> str:
        """The client URL of the running etcd, started on first call."""
        with self._lock:
            if self._child is None or self._child.exited() is not None:
                self._start()
            return self._url

    def _start(self) -> None:
        parent = _TMPFS if _TMPFS.is_dir() and shutil.disk_usage(_TMPFS).free > 256 << 20 else None
        self._data_dir = Path(tempfile.mkdtemp(prefix="batch-on-eks-etcd-", dir=parent))
        client_port, peer_port = free_port(), free_port()
        self._url = f"http://{LOOPBACK}:{client_port}"
        peer_url = f"http://{LOOPBACK}:{peer_port}"
        argv = [
            str(find_binaries().etcd),
            "--name=local",
            f"--data-dir={self._data_dir / 'data'}",
            f"--listen-client-urls={self._url}",
            f"--advertise-client-urls={self._url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=local={peer_url}",
            "--log-level=warn",
            "--logger=zap",
        ]
        self._child = Child("etcd", argv, self._data_dir / "etcd.log")
        deadline = time.monotonic() + READY_BOUND_SECONDS
        while time.monotonic() < deadline:
            if self._child.exited() is not None:
                break
            try:
                if requests.get(f"{self._url}/health", timeout=1).json().get("health") == "true":
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.05)
        tail = self._child.log_tail()
        self._child.stop()
        raise EtcdFailed(
            f"etcd did not become healthy within {READY_BOUND_SECONDS:.0f} s; its log ends:\n{tail}"
        )

    def stop(self) -> None:
        with self._lock:
            if self._child is not None:
                self._child.stop()
                self._child = None
            if self._data_dir is not None:
                shutil.rmtree(self._data_dir, ignore_errors=True)
                self._data_dir = None


ETCD = _SharedEtcd()
atexit.register(ETCD.stop)
