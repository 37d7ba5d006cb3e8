"""Each function's cold import time, as a ratio to a bare ``import boto3``: medians of fresh processes of the
Lambda runtime's Python, importing the layer as ``make build`` built it (its boto3 and botocore, its
precompiled bytecode: Lambda cannot write ``__pycache__``) and nothing else (``-S``: no site-packages, as on
Lambda the layer is all a function has besides the standard library)."""

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

FRESH_PROCESSES = 7
BUILT_LAYER = REPO_ROOT / ".aws-sam" / "build" / "CommonLayer" / "python"


def _median_import(python: str, module: str, path: list[str]) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {"PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.defpath}
    times = [
        float(
            subprocess.run(
                [python, "-S", "-c", code], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(FRESH_PROCESSES)
    ]
    return statistics.median(times)


def cold_imports(python: str, layer: Path = BUILT_LAYER) -> list[tuple[str, float, float]]:
    """(function, median import seconds, ratio to a bare ``import boto3``) for every function, imported by
    ``python`` from its folder (precompiled as the layer's) and the built ``layer``, the boto3 included."""
    if not (layer / "batch_on_eks").is_dir() or not (layer / "boto3").is_dir():
        raise SystemExit(f"no built layer with boto3 at {layer}: run `make build` first")
    with tempfile.TemporaryDirectory() as scratch:
        functions = Path(scratch) / "functions"
        shutil.copytree(REPO_ROOT / "functions", functions)
        compileall.compile_dir(
            functions, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        bare = _median_import(python, "boto3", [str(layer)])
        rows = [("(bare import boto3)", bare, 1.0)]
        for folder in sorted(functions.iterdir()):
            if (folder / "app.py").exists():
                seconds = _median_import(python, "app", [str(folder), str(layer)])
                rows.append((folder.name, seconds, seconds / bare))
    return rows
