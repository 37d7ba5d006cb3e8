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


def _violations_found(session: pytest.Session) -> list[str]:
    from local.embedded_aws.call_recorder import RECORDER
    from tests.iam_policy import violations

    return [str(violation) for violation in violations(RECORDER.calls)]


def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker has finished: keep what it found, for the controller's report."""
    node.config.stash.setdefault(_FROM_WORKERS, []).extend(node.workeroutput.get(_WORKER_KEY, []))


_FROM_WORKERS = pytest.StashKey[list[str]]()
_WORKER_KEY = "iam_policy_violations"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After every test: each AWS call a function made must be allowed by its policy in template.yaml.

    Each process records its own functions' calls; under xdist the workers hand what they found to the
    controller, which reports it all once."""
    found = _violations_found(session)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_KEY] = found
        return
    found = sorted(set(found + session.config.stash.get(_FROM_WORKERS, [])))
    if not found:
        return
    lines = [f"  {violation}" for violation in found]
    title = f"{len(found)} AWS call(s) made by functions are not allowed by their IAM policy"
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
