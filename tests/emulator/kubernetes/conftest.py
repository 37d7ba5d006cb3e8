"""Fixtures for tests against real Kubernetes API servers (built by ``make kubernetes``).

``aws`` here is the embedded AWS with a real API server behind every EKS cluster; one per test module,
like everywhere else, so a module's clusters are shared by its tests and stopped with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, TODAY


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as embedded:
        yield embedded
