"""Each function's cold import time, as a ratio to a bare ``import boto3``: medians of fresh processes of the
Lambda runtime's Python, importing the layer as ``make build`` built it (its boto3 and botocore, its
precompiled bytecode: Lambda cannot write ``__pycache__``) and nothing else (``-S``: no site-packages, as on
Lambda the layer is all a function has besides the standard library).

The time is the importing process's CPU time (an import is CPU-bound: its files are in the page cache): on
a machine shared with other work, wall time adds the time spent waiting for a core, which moves from
one process to the next by more than the differences measured here. The measurements are also interleaved:
each round imports the bare boto3 and then every function once, and a function's ratio is the median of its
ratios to the bare import of the same round, so that what load still changes (caches, frequency) mostly
cancels out. The wall-time ratio is printed beside it."""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from local.embedded_aws.server import REPO_ROOT

ROUNDS = 7
BARE = "(bare import boto3)"
BUILT_LAYER = REPO_ROOT / ".aws-sam" / "build" / "CommonLayer" / "python"


def _import_seconds(python: str, module: str, path: list[str]) -> tuple[float, float]:
    """The CPU and the wall time of importing ``module`` in a fresh process."""
    code = (
        "import time; c, w = time.process_time(), time.perf_counter(); "
        f"import {module}; print(time.process_time() - c, time.perf_counter() - w)"
    )
    env = {"PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.defpath}
    done = subprocess.run([python, "-S", "-c", code], env=env, check=True, capture_output=True, text=True)
    cpu, wall = done.stdout.split()
    return float(cpu), float(wall)


def cold_imports(
    python: str, layer: Path = BUILT_LAYER, rounds: int = ROUNDS
) -> list[tuple[str, float, float, float]]:
    """(function, median import CPU seconds, median ratio of CPU time to a bare ``import boto3`` of the same
    round, the same of wall time) for every function, imported by ``python`` from its folder (precompiled as
    the layer's) and the built ``layer``, the boto3 included; the bare import's own row first."""
    if not (layer / "batch_on_eks").is_dir() or not (layer / "boto3").is_dir():
        raise SystemExit(f"no built layer with boto3 at {layer}: run `make build` first")
    with tempfile.TemporaryDirectory() as scratch:
        functions = Path(scratch) / "functions"
        shutil.copytree(REPO_ROOT / "functions", functions)
        compileall.compile_dir(
            functions, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        folders = sorted(folder for folder in functions.iterdir() if (folder / "app.py").exists())
        seconds: dict[str, list[float]] = {name: [] for name in [BARE, *(f.name for f in folders)]}
        ratios: dict[str, list[float]] = {name: [] for name in seconds}
        wall_ratios: dict[str, list[float]] = {name: [] for name in seconds}
        for _ in range(rounds):
            bare, bare_wall = _import_seconds(python, "boto3", [str(layer)])
            for name, (cpu, wall) in [
                (BARE, (bare, bare_wall)),
                *((f.name, _import_seconds(python, "app", [str(f), str(layer)])) for f in folders),
            ]:
                seconds[name].append(cpu)
                ratios[name].append(cpu / bare)
                wall_ratios[name].append(wall / bare_wall)
    return [
        (
            name,
            statistics.median(seconds[name]),
            statistics.median(ratios[name]),
            statistics.median(wall_ratios[name]),
        )
        for name in seconds
    ]
