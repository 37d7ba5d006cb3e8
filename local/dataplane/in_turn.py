"""A few threads taking items in turn: how the data plane runs array children without a process each, as a
compute environment's capacity would run them, so 10,000 children need no 10,000 threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable


def start_in_turn[T](
    items: Iterable[T], run: Callable[[T], None], threads: int, name: str
) -> list[threading.Thread]:
    """Start ``threads`` daemon threads that ``run`` each item once, in order; returns them started."""
    pending = iter(list(items))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                item = next(pending, None)
            if item is None:
                return
            run(item)

    started = [threading.Thread(target=worker, name=f"{name}-{n}", daemon=True) for n in range(threads)]
    for thread in started:
        thread.start()
    return started
