"""Where ``local/kubernetes/build.sh`` put kube-apiserver, kube-controller-manager and etcd.

The cache path is keyed by the build script's own hash (the same computation as the script's), so a
change to the recipe never reuses binaries built by an older one, and every clone on the machine shares
one build. The binaries are never built from here: a test run must not start a five-minute build behind
the caller's back, so a missing build is a clear error that names the command to run.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

KUBE_VERSION = "1.20.2"
BUILD_SCRIPT = Path(__file__).resolve().parent / "build.sh"
HASH_LENGTH = 12


class KubernetesNotBuilt(RuntimeError):
    """The binaries are not in the cache: ``make kubernetes`` builds them."""


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    kube_controller_manager: Path
    etcd: Path


def cache_root() -> Path:
    configured = os.environ.get("BATCH_ON_EKS_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "batch-on-eks"


def build_directory() -> Path:
    """``<cache>/kubernetes-v1.20.2-<first 12 hex of sha256(build.sh)>``, as build.sh names it."""
    digest = hashlib.sha256(BUILD_SCRIPT.read_bytes()).hexdigest()[:HASH_LENGTH]
    return cache_root() / f"kubernetes-v{KUBE_VERSION}-{digest}"


def find_binaries() -> Binaries:
    """The built binaries, or :class:`KubernetesNotBuilt` naming what is missing and how to build it."""
    bin_dir = build_directory() / "bin"
    found = Binaries(
        kube_apiserver=bin_dir / "kube-apiserver",
        kube_controller_manager=bin_dir / "kube-controller-manager",
        etcd=bin_dir / "etcd",
    )
    missing = [path.name for path in vars(found).values() if not os.access(path, os.X_OK)]
    if missing:
        raise KubernetesNotBuilt(
            f"Kubernetes binaries not built for this version of {BUILD_SCRIPT.name} "
            f"(missing in {bin_dir}: {', '.join(missing)}): run `make kubernetes` "
            f"(5 to 8 minutes once; then reused)"
        )
    return found
