"""Each function's cold import time, as a ratio to a bare ``import boto3``: medians of fresh processes, with
our code precompiled as ``layers/common/Makefile`` ships it (Lambda cannot write ``__pycache__``)."""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from local.embedded_aws.server import REPO_ROOT

FRESH_PROCESSES = 7


def _median_import(module: str, path: list[str]) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1"}
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(FRESH_PROCESSES)
    ]
    return statistics.median(times)


def cold_imports() -> list[tuple[str, float, float]]:
    """(function, median import seconds, ratio to a bare ``import boto3``) for every function; the
    dependencies' bytecode is the one pip compiled."""
    with tempfile.TemporaryDirectory() as scratch:
        shipped = Path(scratch)
        shutil.copytree(REPO_ROOT / "layers" / "common" / "batch_on_eks", shipped / "layer" / "batch_on_eks")
        shutil.copytree(REPO_ROOT / "functions", shipped / "functions")
        compileall.compile_dir(
            shipped, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        bare = _median_import("boto3", [])
        rows = [("(bare import boto3)", bare, 1.0)]
        for folder in sorted((shipped / "functions").iterdir()):
            if (folder / "app.py").exists():
                seconds = _median_import("app", [str(folder), str(shipped / "layer")])
                rows.append((folder.name, seconds, seconds / bare))
    return rows
