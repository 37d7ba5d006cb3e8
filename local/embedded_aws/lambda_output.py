"""What a function prints, kept per invocation: Lambda sends a function's stdout to its CloudWatch log group,
where CloudWatch turns the embedded metric format (EMF) lines into metrics.

Handlers run concurrently in one process, so ``sys.stdout`` cannot simply be swapped for an invocation's
buffer: it becomes a router that appends what the current thread's invocation writes to that invocation's
lines (a context variable says which), and passes everything on to the stream it replaced. Powertools'
Logger binds its stream when it is created, so the runtime points the service's log handlers at a stream that
writes to whatever ``sys.stdout`` is at the time. pytest swaps ``sys.stdout`` (between a test's phases, and
for ``capsys``): the router is put back at every invocation, and a router whose stream was closed under it
writes to the process's own.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TextIO

# Which invocation this thread runs: a thread-local (each handler has its thread of the runtime).
_CURRENT = threading.local()


class _Echo:
    """Whether what a function prints also reaches this process's own stdout (see :func:`echo_functions`)."""

    on = True


def echo_functions(on: bool) -> None:
    """On (the default), what functions print is kept per invocation and also printed here, where a test's
    failure report shows it. Off, it is only kept: on AWS a function's stdout goes to its log group, never to
    the terminal of the person using the stack (the demo's)."""
    _Echo.on = on


def _keep(text: str) -> bool:
    """Keep ``text`` for the invocation this thread runs; whether it runs one."""
    chunks: list[str] | None = getattr(_CURRENT, "chunks", None)
    if chunks is not None:
        chunks.append(text)
    return chunks is not None


# One writer at a time, whichever stream: handlers print from the runtime's threads while the test's own
# thread prints too, and a TextIOWrapper's writes from several threads at once can interleave a line's halves
# (python/cpython#118138). Reentrant: a stream may print a warning.
_WRITING = threading.RLock()


class _Router:
    """``sys.stdout`` while handlers run: keeps what an invocation writes, and passes everything on to the
    stream it replaced (or the process's own, once that one is closed: a test's capture that has ended).
    A plain object, not an ``io`` class: it has no finalizer that would close or flush the stream it wraps
    when it is collected, in whatever thread the collection happens."""

    def __init__(self, base: TextIO):
        self.base = base

    def write(self, text: str) -> int:
        if _keep(text) and not _Echo.on:
            return len(text)
        with _WRITING:
            try:
                return self.base.write(text)
            except ValueError:  # closed
                return sys.__stdout__.write(text) if sys.__stdout__ is not None else len(text)

    def flush(self) -> None:
        with _WRITING, suppress(ValueError):
            self.base.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, ... as the wrapped stream has them
        return getattr(self.base, name)


class _CurrentStdout:
    """The Logger's stream: whatever ``sys.stdout`` is when a line is written, as a logger writing to stdout
    in Lambda would, kept once for the invocation."""

    def write(self, text: str) -> int:
        current = sys.stdout
        if not isinstance(current, _Router):
            _keep(text)
        with _WRITING:
            return current.write(text)

    def flush(self) -> None:
        with _WRITING:
            sys.stdout.flush()


_LOGGER_STREAM = _CurrentStdout()


def _routed(stream: TextIO) -> TextIO:
    return stream if isinstance(stream, _Router) else _Router(stream)  # type: ignore[return-value]


@dataclass
class InvocationOutput:
    """One invocation: the event it was given and its stdout, line by line."""

    logical_id: str
    request_id: str
    event: Any
    lines: list[str] = field(default_factory=list)

    def json_lines(self) -> Iterator[dict[str, Any]]:
        for line in self.lines:
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    yield value

    def metric_lines(self) -> list[dict[str, Any]]:
        """The EMF lines: a JSON object with ``_aws.CloudWatchMetrics``."""
        return [line for line in self.json_lines() if "CloudWatchMetrics" in (line.get("_aws") or {})]

    def log_lines(self) -> list[dict[str, Any]]:
        """The Powertools Logger's lines (every one has a ``level`` and a ``message``)."""
        return [line for line in self.json_lines() if "level" in line and "message" in line]


def _powertools_handlers() -> Iterator[logging.StreamHandler[Any]]:
    """The stream handlers Powertools' Loggers write with (their formatter is Powertools'), whatever the
    logger's name: a Logger created outside a function (a test importing the domain) keeps the name it got."""
    for candidate in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(candidate, logging.Logger):
            for handler in candidate.handlers:
                formatter = type(handler.formatter).__module__ if handler.formatter else ""
                if isinstance(handler, logging.StreamHandler) and formatter.startswith(
                    "aws_lambda_powertools"
                ):
                    yield handler


@contextmanager
def captured(output: InvocationOutput) -> Iterator[None]:
    """Keep what this thread prints into ``output`` for the block (and still print it)."""
    sys.stdout = _routed(sys.stdout)
    for handler in _powertools_handlers():
        if handler.stream is not _LOGGER_STREAM:
            handler.setStream(_LOGGER_STREAM)
    chunks: list[str] = []
    outer = getattr(_CURRENT, "chunks", None)
    _CURRENT.chunks = chunks
    try:
        yield
    finally:
        _CURRENT.chunks = outer
        output.lines.extend("".join(chunks).splitlines())
