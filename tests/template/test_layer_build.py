"""The common layer is built for Lambda's platform, whatever the build host: every shared object in it is
for the stack's architecture (x86-64 by default, AArch64 with ``Architecture=arm64``), and it ships the SDK
the tests run, exactly as pinned.

The default build is the one ``make build`` left (``make test`` runs it first); the arm64 one is built here,
by ``make build ARCHITECTURE=arm64`` into a scratch folder, as a person would on any machine.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

from local.embedded_aws.deploy.template import load_template
from tests.conftest import REPO_ROOT
from tests.demo.demo_process import make_path, user_environment
from tests.template.built_layer import (
    AARCH64,
    LAYER_REQUIREMENTS,
    MACHINES,
    X86_64,
    built_layer,
    distributions,
    normalized,
    pins,
    shared_objects,
    versions,
)

BUILD_BOUND_SECONDS = 600
# The Lambda runtime the layer's requirement markers are evaluated for (python3.12 on Amazon Linux 2023).
LAMBDA_MARKERS = {
    **default_environment(),
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
}


def _machines(directory: Path) -> dict[str, list[str]]:
    """Each machine's shared objects, relative to ``directory``."""
    found: dict[str, list[str]] = {}
    for path, machine in shared_objects(directory):
        found.setdefault(MACHINES.get(machine, f"e_machine {machine}"), []).append(
            str(path.relative_to(directory))
        )
    return found


def test_every_shared_object_of_the_default_build_is_x86_64() -> None:
    # Given the layer `make build` built with the default Architecture
    layer = built_layer()
    # When each ELF file in it is read
    machines = _machines(layer)
    # Then every one is x86-64 (pydantic-core's and PyYAML's extensions among them), none for another machine
    assert set(machines) == {MACHINES[X86_64]}, machines
    assert any("pydantic_core" in path for path in machines[MACHINES[X86_64]])


def test_an_arm64_build_ships_only_aarch64_shared_objects(tmp_path: Path) -> None:
    # Given a scratch build folder
    build_dir = tmp_path / "build"
    # When the project's build runs with ARCHITECTURE=arm64 (on this x86-64 machine)
    done = subprocess.run(
        [make_path(), "--no-print-directory", "build", "ARCHITECTURE=arm64", f"BUILD_DIR={build_dir}"],
        cwd=REPO_ROOT,
        env=user_environment(),
        capture_output=True,
        text=True,
        timeout=BUILD_BOUND_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Then every shared object in its layer is AArch64, none x86-64
    machines = _machines(built_layer(build_dir / "CommonLayer" / "python"))
    assert set(machines) == {MACHINES[AARCH64]}, machines
    # And the built template says the layer was built for arm64 (what `sam deploy` publishes)
    built = load_template(build_dir / "template.yaml")
    layer = built["Resources"]["CommonLayer"]
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"


def test_the_layer_ships_the_sdk_the_tests_run() -> None:
    # Given the built layer
    shipped = versions(built_layer())
    # Then its boto3 and botocore are the very versions this test process imports
    for name in ("boto3", "botocore", "s3transfer"):
        assert shipped.get(name) == importlib.metadata.version(name), name


def test_the_layer_holds_exactly_its_pins_and_they_are_complete() -> None:
    # Given the built layer and its requirements
    shipped = distributions(built_layer())
    wanted = pins(LAYER_REQUIREMENTS)
    # Then it holds exactly the pinned distributions, at their pins
    assert {name: version for name, (version, _) in shipped.items()} == wanted
    # And each one's own requirements (for python3.12 on Linux, no extras) are met by what it holds
    unmet = []
    for name, (_, info) in shipped.items():
        for requirement in _requires(info):
            if requirement.marker is not None and not requirement.marker.evaluate(
                {**LAMBDA_MARKERS, "extra": ""}
            ):
                continue
            version = wanted.get(normalized(requirement.name))
            if version is None or not requirement.specifier.contains(Version(version), prereleases=True):
                unmet.append(f"{name} needs {requirement} (layer: {version})")
    assert unmet == []


def _requires(info: Path) -> list[Requirement]:
    """The ``Requires-Dist`` of an installed distribution (its ``.dist-info`` folder)."""
    metadata = (info / "METADATA").read_text(encoding="utf-8")
    return [
        Requirement(line.partition(":")[2].strip())
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
