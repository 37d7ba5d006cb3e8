"""Named signals that the embedded AWS fires as things happen, so tests can hit a race window for certain.

The embedded AWS fires, among others:

- ``invoke:<FunctionLogicalId>`` just before a handler runs, ``invoked:<FunctionLogicalId>`` just after;
- ``submitted:<jobName>`` when SubmitJob has created a job (before it answers);
- ``delivered:<jobId>:<STATUS>`` when a Batch event has been handled by every function it was delivered to;
- ``tick:<rule name>`` when a scheduled rule fires, ``ticked:<rule name>`` once its targets have returned.

A fault (see :mod:`local.dataplane.faults`) can hold an event or a reply until a signal fires. Tests wait on
signals instead of sleeping. A signal, once fired, stays fired (waiting on it later returns at once).
"""

from __future__ import annotations

import threading
from collections import Counter


class Signals:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counted = threading.Condition(self._lock)
        self._events: dict[str, threading.Event] = {}
        self.counts: Counter[str] = Counter()

    def _event(self, name: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(name, threading.Event())

    def fire(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1
            self._counted.notify_all()
        self._event(name).set()

    def fired(self, name: str) -> bool:
        return self._event(name).is_set()

    def wait(self, name: str, timeout: float = 30.0) -> bool:
        """Wait until ``name`` has fired; False if it did not within ``timeout`` (a bound, not a sync)."""
        return self._event(name).wait(timeout)

    def wait_count(self, name: str, count: int, timeout: float = 30.0) -> bool:
        """Wait until ``name`` has fired ``count`` times in all; False if not within ``timeout`` (a bound)."""
        with self._counted:
            return self._counted.wait_for(lambda: self.counts[name] >= count, timeout)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
            self.counts.clear()
