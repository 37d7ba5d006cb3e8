"""``make bench``'s cost model and chart (local/bench/costs.py, chart.py): the designs' use per run by job
length, and a picture that draws each of them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from local.bench import costs
from local.bench.chart import COLOURS, write_chart

MEASURED = costs.Measured(
    states=5,
    history_events=22,
    per_run={"requests": 8, "gb_seconds": 0.2, "write_units": 90, "read_units": 26},
    check_usd=0.00000001,
    period_seconds=300,
)


@pytest.mark.parametrize(("length", "checks"), [(60, 0), (300, 0), (3600, 11), (86400, 287)])
def test_a_quiet_job_is_checked_once_a_period_after_its_first(length: int, checks: int) -> None:
    assert costs.checks(length, 300) == checks


def test_this_designs_run_costs_the_same_states_whatever_its_length() -> None:
    minute, month = costs.this_design(60, MEASURED), costs.this_design(30 * 86400, MEASURED)
    assert (minute.states, minute.history_events) == (month.states, month.history_events) == (5, 22)
    # Only the reconciler's share grows: one check a period
    assert month.usd - minute.usd == pytest.approx(costs.checks(30 * 86400, 300) * MEASURED.check_usd)
    assert minute.fails is None
    assert month.fails is None


def test_the_polling_loop_grows_with_the_job_and_fails_at_the_history_limit() -> None:
    hour, day = costs.polling(3600, 0.05), costs.polling(86400, 0.05)
    # 3 states and 9 history events a poll, a poll every 30 s
    assert (hour.states, hour.history_events) == (3 * 120 + 2, 9 * 120 + 9)
    assert hour.fails is None
    # A day of polling passes 25,000 history events: Step Functions fails the execution after 23 hours
    assert day.history_events > costs.HISTORY_LIMIT
    assert day.fails is not None
    assert "23 h" in day.fails


def test_submit_job_sync_is_one_state_whatever_the_length() -> None:
    assert costs.submit_job_sync(60).usd == costs.submit_job_sync(30 * 86400).usd == pytest.approx(0.000025)


def test_the_chart_draws_every_design_and_marks_where_one_fails(tmp_path: Path) -> None:
    # Given the three designs' states and dollars at four lengths, polling failing at the last two
    labels, lengths = ["1 minute", "1 hour", "1 day", "30 days"], [60, 3600, 86400, 2592000]
    designs = list(COLOURS)
    states = {
        design: [(float(10 ** (i + 1)), design == designs[1] and i > 1) for i in range(4)]
        for design in designs
    }
    dollars = {design: [(10.0 ** (i - 6), False) for i in range(4)] for design in designs}
    # When the chart is written
    chart = tmp_path / "chart.svg"
    write_chart(chart, labels, lengths, states, dollars, "a note")
    # Then it is an SVG with a line per design in each panel, and two crosses where polling fails
    svg = ET.fromstring(chart.read_text())  # noqa: S314 - the file this test just wrote
    paths = [element.get("stroke") for element in svg.iter("{http://www.w3.org/2000/svg}path")]
    for design, colour in COLOURS.items():
        assert paths.count(colour) >= 2, design
    assert paths.count(COLOURS[designs[1]]) == 2 + 2  # two lines, two crosses
    assert all(label in chart.read_text() for label in labels)
