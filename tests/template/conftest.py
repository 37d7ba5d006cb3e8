"""Fixtures for the template tests: ``template.yaml`` read with a loader that knows CloudFormation's tags."""

from __future__ import annotations

from typing import Any

import pytest

from local.embedded_aws.deploy.template import load_template
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    """The project's ``template.yaml``, parsed once per test session."""
    return load_template(REPO_ROOT / "template.yaml")


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    """The template's ``Resources`` section."""
    return template["Resources"]
