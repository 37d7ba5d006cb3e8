"""One SDK everywhere: the common layer ships boto3 and botocore (Lambda's bundled SDK varies by region and
over time), at the very versions the tests run, and every pin of the layer is the project's own pin."""

from __future__ import annotations

from tests.template.built_layer import LAYER_REQUIREMENTS, PROJECT_REQUIREMENTS, pins


def test_the_layer_ships_the_sdk() -> None:
    # Given the layer's requirements
    layer = pins(LAYER_REQUIREMENTS)
    # Then boto3, botocore and their dependencies are in them
    assert {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"} <= set(layer)


def test_every_layer_pin_is_the_projects_pin() -> None:
    # Given the layer's pins and the project's (what the tests, the embedded AWS and moto run)
    layer, project = pins(LAYER_REQUIREMENTS), pins(PROJECT_REQUIREMENTS)
    # Then each of the layer's packages is pinned in the project at the same version
    drifted = {name: (pin, project.get(name)) for name, pin in layer.items() if project.get(name) != pin}
    assert drifted == {}, "layer pin -> project pin"
