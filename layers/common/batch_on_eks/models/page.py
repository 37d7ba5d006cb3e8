"""One page of a listing, and the opaque token of the next one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_token: str | None  # None on the last page
