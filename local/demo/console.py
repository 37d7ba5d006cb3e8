"""How ``make demo`` prints: one line per thing that happened, stamped with when it happened.

Several threads print at once (the pod and node watches next to the run statuses), so lines go out whole,
under one lock, and flushed at once: the demo is read live, and a test reads it through a pipe.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime

_LOCK = threading.Lock()


def stamp(at: datetime | None = None) -> str:
    """``HH:MM:SS`` in the local time zone, of ``at`` (an aware datetime) or of now."""
    return f"{(at or datetime.now().astimezone()).astimezone():%H:%M:%S}"


def say(message: str, at: datetime | None = None) -> None:
    """Print ``message`` after the time it happened (default: now); every line of it gets the stamp."""
    prefix = stamp(at)
    with _LOCK:
        for line in message.splitlines() or [""]:  # one write per line: the client prints meanwhile
            sys.stdout.write(f"{prefix} {line}\n")
        sys.stdout.flush()


def heading(title: str) -> None:
    """A section of the walkthrough, as the blueprint's page has them."""
    with _LOCK:
        print(f"\n== {title}", flush=True)


def table(rows: list[list[str]]) -> str:
    """Rows as kubectl prints them: left-aligned columns, three spaces apart, the last one unpadded."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width + 3) for cell, width in zip(row, widths, strict=False)]
        lines.append("".join(cells) + row[-1])
    return "\n".join(lines)
