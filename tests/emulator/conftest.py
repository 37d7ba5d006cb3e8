"""What the embedded AWS's own tests share beyond ``tests/conftest.py`` (its ``aws`` fixture): the test stack,
a template of the emulator's own (recording functions behind Batch event rules, a function that always fails,
a state machine with a Lambda task and a callback task), which each test module deploys under its own name.

The tests in ``kubernetes/`` run on an embedded AWS with a real API server per EKS cluster (their conftest);
those in ``moto_gaps/`` on moto's own server with only the gaps installed (theirs)."""

from __future__ import annotations

from pathlib import Path

TEST_STACK = Path(__file__).resolve().parent / "stack" / "template.yaml"
