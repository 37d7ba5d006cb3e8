"""The bench's picture: states entered and dollars per run against the job's length, log scales, the three
designs side by side; an SVG written by hand (no charting library to pin)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path

WIDTH, HEIGHT = 920, 380
PANEL_WIDTH, PANEL_HEIGHT = 360, 250
MARGIN_LEFT, MARGIN_TOP = 70, 60
COLOURS = {
    "this control plane": "#1b7f3b",
    "polling every 30 s": "#c0392b",
    "batch:submitJob.sync": "#2c6fbb",
}


def _log_ticks(low: float, high: float) -> list[float]:
    return [10.0**power for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def _panel(
    x0: int,
    title: str,
    labels: Sequence[str],
    lengths: Sequence[float],
    series: dict[str, list[tuple[float, bool]]],
    y_label: str,
    y_format: str,
) -> list[str]:
    values = [value for points in series.values() for value, _ in points if value > 0]
    low, high = min(values) / 2, max(values) * 2
    y_ticks = _log_ticks(low, high)
    y_low, y_high = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    x_low, x_high = math.log10(lengths[0]) - 0.3, math.log10(lengths[-1]) + 0.3

    def x(length: float) -> float:
        return x0 + (math.log10(length) - x_low) / (x_high - x_low) * PANEL_WIDTH

    def y(value: float) -> float:
        return MARGIN_TOP + PANEL_HEIGHT - (math.log10(value) - y_low) / (y_high - y_low) * PANEL_HEIGHT

    out = [
        f'<text x="{x0 + PANEL_WIDTH / 2}" y="{MARGIN_TOP - 20}" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<rect x="{x0}" y="{MARGIN_TOP}" width="{PANEL_WIDTH}" height="{PANEL_HEIGHT}" '
        'fill="none" stroke="#999"/>',
    ]
    for tick in y_ticks:
        out.append(
            f'<line x1="{x0}" x2="{x0 + PANEL_WIDTH}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>'
            f'<text x="{x0 - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{y_format.format(tick)}</text>"
        )
    for label, length in zip(labels, lengths, strict=True):
        out.append(
            f'<text x="{x(length):.1f}" y="{MARGIN_TOP + PANEL_HEIGHT + 16}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text>'
        )
    out.append(
        f'<text x="{x0 - 52}" y="{MARGIN_TOP + PANEL_HEIGHT / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 {x0 - 52} {MARGIN_TOP + PANEL_HEIGHT / 2})">{escape(y_label)}</text>'
    )
    for design, points in series.items():
        colour = COLOURS[design]
        xy = [(x(length), y(value), failed) for length, (value, failed) in zip(lengths, points, strict=True)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py, _) in enumerate(xy))
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for px, py, failed in xy:
            if failed:  # the design cannot see a job that long through
                out.append(
                    f'<path d="M{px - 5:.1f},{py - 5:.1f}L{px + 5:.1f},{py + 5:.1f}M{px - 5:.1f},{py + 5:.1f}'
                    f'L{px + 5:.1f},{py - 5:.1f}" stroke="{colour}" stroke-width="2.5"/>'
                )
            else:
                out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>')
    return out


def write_chart(
    path: Path,
    labels: Sequence[str],
    lengths: Sequence[float],
    states: dict[str, list[tuple[float, bool]]],
    dollars: dict[str, list[tuple[float, bool]]],
    note: str,
) -> None:
    """``states`` and ``dollars``: per design, a (value, fails) per length; a point where the design fails is
    drawn as a cross."""
    body = ['<rect width="100%" height="100%" fill="white"/>']
    body += _panel(
        MARGIN_LEFT, "States entered per run", labels, lengths, states, "state transitions", "{:,g}"
    )
    body += _panel(
        MARGIN_LEFT + PANEL_WIDTH + 110,
        "Cost per run (us-east-1)",
        labels,
        lengths,
        dollars,
        "US dollars",
        "${:g}",
    )
    legend_y = HEIGHT - 28
    for index, (design, colour) in enumerate(COLOURS.items()):
        x = MARGIN_LEFT + index * 230
        body.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{legend_y}" font-size="12">{escape(design)}</text>'
        )
    body.append(
        f'<text x="{WIDTH - 10}" y="{HEIGHT - 8}" text-anchor="end" font-size="10" fill="#666">'
        f"{escape(note)}</text>"
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">\n' + "\n".join(body) + "\n</svg>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")
