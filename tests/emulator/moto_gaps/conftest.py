"""Fixtures of the moto gaps' tests: moto's own server with the gaps installed (one per test module), clients
of it, and readiness holds that never outlive a test."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.embedded_aws.moto_gaps import install
from local.embedded_aws.moto_gaps.eks_addons import ADDON_CATALOG
from local.embedded_aws.moto_gaps.eks_versions import CALENDAR
from local.embedded_aws.moto_gaps.readiness import READINESS
from tests.conftest import TODAY
from tests.emulator.moto_gaps.support import REGION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    install()
    install()  # idempotent
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _readiness_reset() -> Iterator[None]:
    yield
    READINESS.reset()


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    """EKS's calendar says it is the tests' day, whatever the real date, and its add-on catalog is the
    initial one (a test may move the day or publish a version: the next does not see it)."""
    CALENDAR.set_today(TODAY)
    yield
    CALENDAR.set_today(None)
    ADDON_CATALOG.reset()


@pytest.fixture(scope="module")
def client(endpoint: str) -> Callable[..., Any]:
    def make(service: str, *, validate: bool = True) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(parameter_validation=validate, retries={"max_attempts": 1}),
        )

    return make


@pytest.fixture(scope="module")
def eks(client: Callable[..., Any]) -> Any:
    return client("eks")


@pytest.fixture(scope="module")
def batch(client: Callable[..., Any]) -> Any:
    return client("batch")


@pytest.fixture(scope="module")
def dynamodb(client: Callable[..., Any]) -> Any:
    return client("dynamodb")
