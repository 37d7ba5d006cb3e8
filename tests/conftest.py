"""Shared fixtures: the embedded AWS (one per test module) and handles on what it deploys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.dataplane.jobs import Timings
from local.embedded_aws import EmbeddedAws

REPO_ROOT = Path(__file__).resolve().parent.parent
FAST = Timings(runnable=0.02, starting=0.02, default_time_limit=60)


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=FAST) as embedded:
        yield embedded


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults and holds are per test: a test's faults never leak into the next one."""
    yield
    if "aws" in request.fixturenames:
        embedded: EmbeddedAws = request.getfixturevalue("aws")
        embedded.faults.reset()
        embedded.readiness.reset()
