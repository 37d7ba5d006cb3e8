"""DynamoDB requests from many callers at once, answered as AWS answers them.

moto keeps a table's items in plain dicts, which a Query or Scan iterates while another server thread's
PutItem adds to them: under load (a 10,000-child array's records written while the reconciler queries its
index) a read failed with "dictionary changed size during iteration", a 500 that AWS never answers. Here the
embedded DynamoDB handles one request at a time (a request's own items are then never seen half-written
either, as AWS promises for a single-item write); the embedded AWS runs in one Python process, so little
concurrency is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.responses import DynamoHandler

REQUESTS = threading.RLock()


def _one_at_a_time(call_action: Callable[..., Any]) -> Callable[..., Any]:
    def serialized(self: DynamoHandler) -> Any:
        with REQUESTS:
            return call_action(self)

    return serialized


def install() -> None:
    DynamoHandler.call_action = _one_at_a_time(DynamoHandler.call_action)  # type: ignore[method-assign]
