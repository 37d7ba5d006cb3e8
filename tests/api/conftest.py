"""The API tests' world: the control plane deployed in the embedded AWS with one READY environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.api.support import ApiWorld, api_world


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> Iterator[ApiWorld]:
    world = api_world(aws)
    yield world
    world.quiesce()
