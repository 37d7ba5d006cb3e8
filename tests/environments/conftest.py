"""The provisioning tests' world: the control plane deployed in an embedded AWS that runs a real
kube-apiserver behind every EKS cluster; one per test module, like everywhere else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, TODAY
from tests.environments.provision_support import ProvisionWorld


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as embedded:
        yield embedded


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> ProvisionWorld:
    return ProvisionWorld(aws, aws.deploy())
