"""``kubectl get <things> -w``: a Kubernetes watch on a local API server, each change handed to a callback.

A watch is a long HTTP response of JSON lines (``{"type": "ADDED" | "MODIFIED" | "DELETED", "object": ...}``);
started without a resourceVersion it first replays what exists as ADDED, as ``kubectl get -w`` lists before
it watches. Each request asks the server to end the stream after a few seconds and the next one resumes
from the last resourceVersion seen: nothing is missed or repeated, and :meth:`Watch.stop` needs no way to
interrupt a blocked socket read (it returns within one such period). A server that has gone away (the
cluster was deleted) ends the watch quietly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import requests

from local.kubernetes.cluster import KubernetesCluster

STREAM_SECONDS = 1
_CONNECT_TIMEOUT = 5.0
_GONE_AFTER_FAILURES = 3  # consecutive failed requests: the server is gone

OnEvent = Callable[[str, dict[str, Any]], None]


class Watch:
    def __init__(self, cluster: KubernetesCluster, path: str, on_event: OnEvent, token: str):
        """``path``: a list path, e.g. ``/api/v1/namespaces/ns/pods``; ``token``: whose watch it is."""
        self._url = cluster.endpoint + path
        self._ca_file = str(cluster.certificates.ca_file)
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"
        self._on_event = on_event
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch {path}", daemon=True)

    def start(self) -> Watch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(STREAM_SECONDS + _CONNECT_TIMEOUT)
        self._session.close()

    def __enter__(self) -> Watch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        resource_version = ""
        failures = 0
        while not self._stopped.is_set() and failures < _GONE_AFTER_FAILURES:
            params = {"watch": "1", "timeoutSeconds": str(STREAM_SECONDS)}
            if resource_version:
                params["resourceVersion"] = resource_version
            try:
                with self._session.get(
                    self._url,
                    params=params,
                    stream=True,
                    verify=self._ca_file,
                    timeout=(_CONNECT_TIMEOUT, STREAM_SECONDS + _CONNECT_TIMEOUT),
                ) as response:
                    if response.status_code == 410:  # resourceVersion too old: list again
                        resource_version = ""
                        continue
                    response.raise_for_status()
                    failures = 0
                    for line in response.iter_lines():
                        if not line:
                            continue
                        event = json.loads(line)
                        if event.get("type") == "ERROR":
                            resource_version = ""
                            break
                        resource_version = event["object"]["metadata"].get(
                            "resourceVersion", resource_version
                        )
                        self._on_event(str(event["type"]), event["object"])
            except (requests.RequestException, ValueError):
                failures += 1
                self._stopped.wait(0.2)
