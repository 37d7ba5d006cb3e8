"""Shared fixtures: the embedded AWS (one per test module) and handles on what it deploys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from local.dataplane.jobs import Timings
from local.embedded_aws.server import EmbeddedAws

REPO_ROOT = Path(__file__).resolve().parent.parent
FAST = Timings(runnable=0.02, starting=0.02, default_time_limit=60)
# The day every embedded AWS of the tests says it is: EKS's version calendar answers as on that day, whatever
# the real date (1.34 has just left standard support; 1.35 and 1.36 are in it).
TODAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=FAST, today=TODAY) as embedded:
        yield embedded


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults and holds are per test: a test's faults never leak into the next one."""
    yield
    if "aws" in request.fixturenames:
        embedded: EmbeddedAws = request.getfixturevalue("aws")
        embedded.faults.reset()
        embedded.readiness.reset()


def _findings(session: pytest.Session) -> list[str]:
    """What this process's recorded AWS calls break: a function's IAM policy (least privilege), or the
    parameter validation of the botocore the layer ships (one SDK everywhere)."""
    from local.embedded_aws.call_recorder import RECORDER
    from tests.iam_policy import violations
    from tests.shipped_sdk import replay
    from tests.template.built_layer import BUILT_LAYER

    calls = RECORDER.calls
    found = [f"IAM: {violation}" for violation in violations(calls)]
    if not calls:
        return found
    if not (BUILT_LAYER / "botocore").is_dir():
        return [
            *found,
            f"SDK: no built layer with botocore at {BUILT_LAYER} to replay the calls through: make build",
        ]
    shipped = replay(calls)
    return found + [
        f"SDK: botocore {shipped.botocore_version} refuses {problem}" for problem in shipped.problems
    ]


def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker has finished: keep what it found, for the controller's report. A worker that crashed
    sent nothing (xdist reports the crash and the test it was running; an AttributeError here hid both)."""
    sent = getattr(node, "workeroutput", {})
    node.config.stash.setdefault(_FROM_WORKERS, []).extend(sent.get(_WORKER_KEY, []))


_FROM_WORKERS = pytest.StashKey[list[str]]()
_WORKER_KEY = "recorded_call_findings"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After every test: each AWS call a function made must be allowed by its policy in template.yaml, and
    accepted by the botocore the layer ships.

    Each process records its own functions' calls; under xdist the workers hand what they found to the
    controller, which reports it all once."""
    found = _findings(session)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_KEY] = found
        return
    found = sorted(set(found + session.config.stash.get(_FROM_WORKERS, [])))
    if not found:
        return
    lines = [f"  {finding}" for finding in found]
    title = f"{len(found)} AWS call(s) made by functions break their IAM policy or the shipped SDK"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print("\n".join([title, *lines]))
    else:
        reporter.line("")
        reporter.write_sep("=", title, red=True)
        for line in lines:
            reporter.write_line(line, red=True)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
