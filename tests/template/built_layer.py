"""The common layer as ``sam build`` builds it: where it is, which shared objects it ships and for which
machine (the ELF header's ``e_machine``), and which Python distributions it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO_ROOT

# What `make build` (make test runs it before the tests) leaves: the layer's python/ folder, as Lambda
# mounts it under /opt/python.
BUILT_LAYER = REPO_ROOT / ".aws-sam" / "build" / "CommonLayer" / "python"
LAYER_REQUIREMENTS = REPO_ROOT / "layers" / "common" / "requirements.txt"
PROJECT_REQUIREMENTS = REPO_ROOT / "requirements" / "project.txt"
# The ELF header's e_machine values (the System V ABI's registry).
X86_64 = 62
AARCH64 = 183
MACHINES = {X86_64: "x86-64", AARCH64: "AArch64"}


def built_layer(directory: Path = BUILT_LAYER) -> Path:
    """The built layer's python/ folder; an AssertionError saying how to build it when it is not there."""
    assert (directory / "batch_on_eks").is_dir(), (
        f"no built layer at {directory}: run `make build` (make test runs it before the tests)"
    )
    return directory


def elf_machine(path: Path) -> int | None:
    """The ``e_machine`` of an ELF file (None when ``path`` is not ELF): bytes 18-19, in the byte order
    byte 5 (EI_DATA) names."""
    with path.open("rb") as file:
        header = file.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    order = "little" if header[5] == 1 else "big"
    return int.from_bytes(header[18:20], order)


def shared_objects(directory: Path) -> Iterator[tuple[Path, int]]:
    """Every ELF file under ``directory`` (shared objects, whatever their name), with its machine."""
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            machine = elf_machine(path)
            if machine is not None:
                yield path, machine


_DIST_INFO = re.compile(r"(?P<name>.+)-(?P<version>[^-]+)\.dist-info")


def normalized(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(directory: Path) -> dict[str, tuple[str, Path]]:
    """The distributions installed in ``directory``: normalized name -> (version, its .dist-info)."""
    found = {}
    for info in directory.glob("*.dist-info"):
        match = _DIST_INFO.fullmatch(info.name)
        assert match is not None, info.name
        found[normalized(match["name"])] = (match["version"], info)
    return found


def versions(directory: Path) -> dict[str, str]:
    """The distributions installed in ``directory``: normalized name -> version."""
    return {name: version for name, (version, _) in distributions(directory).items()}


def pins(path: Path) -> dict[str, str]:
    """The ``name==version`` lines of a requirements file: normalized name -> version."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        name, separator, version = requirement.partition("==")
        assert separator, f"{path.name}: {requirement!r} is not pinned with =="
        found[normalized(name.strip())] = version.strip()
    return found
