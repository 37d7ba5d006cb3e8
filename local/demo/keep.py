"""``make demo ARGS=--keep``: after the jobs, everything stays up for a person to use, until Ctrl-C.

What stays: the embedded AWS (its endpoint answers any AWS CLI call), the environment with its
kube-apiserver (the kubeconfig the demo wrote reaches it), and the control plane's API, served on
127.0.0.1 through :class:`local.embedded_aws.api_bridge.ApiBridge` behind a random bearer token printed
once (the API is IAM-authenticated on AWS; locally, the token stands in, and any other local process is
refused).

Ctrl-C (SIGINT) or SIGTERM only sets a flag here; the caller's ``with`` blocks then stop the API server,
the data plane, the kube-apiservers and etcd (children that die with this process in any case, see
:mod:`local.kubernetes.processes`), so the process exits cleanly and every port it held is free again.
"""

from __future__ import annotations

import json
import secrets
import shlex
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from local.demo.console import heading, say
from local.embedded_aws.api_bridge import ApiBridge
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_requested() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs; the previous handlers come back after it."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def serve_until_interrupted(
    aws: EmbeddedAws, stack: Stack, outputs: dict[str, Any], kubeconfig: Path
) -> None:
    token = secrets.token_urlsafe(24)
    with stop_requested() as stop, ApiBridge(aws, stack, token=token) as api:
        heading("Kept running (--keep): Ctrl-C stops everything")
        body = json.dumps({"environment": outputs["name"], "jobName": "more-hello"})
        say(f"API        {api.url}")
        say(f"API token  {token}")
        say(f"  export API={api.url} TOKEN={token}")
        say("  run:      " + _curl("POST", "$API/jobs", body))
        say("  follow:   " + _curl("GET", "$API/jobs/<id>"))
        say("  log:      " + _curl("GET", '"$API/jobs/<id>/logs?limit=5"'))
        cli = f"AWS_ACCESS_KEY_ID=embedded AWS_SECRET_ACCESS_KEY=embedded aws --endpoint-url {aws.endpoint}"
        say(f"embedded AWS {aws.endpoint}")
        say(f"  e.g.     {cli} batch describe-job-queues --region {aws.region}")
        say(f"kubectl    kubectl --kubeconfig {kubeconfig} get pods -n {outputs['namespace']} -w")
        while not stop.wait(0.5):
            pass
        say("stopping: API, data plane, kube-apiserver, etcd, embedded AWS")


def _curl(method: str, url: str, body: str | None = None) -> str:
    """A curl command line for a shell where API and TOKEN are exported (so it can be pasted as it is)."""
    parts = ["curl", "-s", *(["-X", method] if method != "GET" else []), '-H "Authorization: Bearer $TOKEN"']
    if body is not None:
        parts += ["-H", shlex.quote("Content-Type: application/json"), "-d", shlex.quote(body)]
    return " ".join([*parts, url])
