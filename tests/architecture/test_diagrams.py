"""docs/architecture.md's diagrams are the ones the code generates (``make diagrams``): a workflow that
changes without its diagram fails here."""

from __future__ import annotations

from scripts import diagrams


def test_the_committed_diagrams_are_the_codes() -> None:
    # When the diagrams are generated from template.yaml and the ASL, and the document rendered with them
    committed = diagrams.DOCUMENT.read_text(encoding="utf-8")
    # Then the document is unchanged
    assert diagrams.rendered(committed, diagrams.diagrams()) == committed, "stale diagrams: make diagrams"


def test_a_diagram_that_drifts_from_its_workflow_is_caught() -> None:
    # Given the document with one state renamed in the run-job diagram, as if the ASL had moved on
    committed = diagrams.DOCUMENT.read_text(encoding="utf-8")
    drifted = committed.replace('SubmitAndWait["SubmitAndWait"]', 'SubmitAndWait["SubmitAndPoll"]', 1)
    assert drifted != committed
    # When it is rendered from the code
    # Then the drift is gone: the check (make diagrams --check) would have failed on it
    assert diagrams.rendered(drifted, diagrams.diagrams()) == committed
    assert diagrams.main(["--check"]) == 0
