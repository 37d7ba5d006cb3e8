"""The API's routes and their methods, in one place: the resolver registers them, the not-found handler
tells an unknown route (404) from a known route asked with another method (405), and tests compare them
with the template's API events and the committed OpenAPI document."""

from __future__ import annotations

import re

ENVIRONMENTS = "/environments"
ENVIRONMENT = "/environments/<name>"
JOBS = "/jobs"
JOB = "/jobs/<id>"
JOB_CANCEL = "/jobs/<id>/cancel"
JOB_LOGS = "/jobs/<id>/logs"
OPENAPI_DOCUMENT = "/openapi.json"

METHODS: dict[str, tuple[str, ...]] = {
    ENVIRONMENTS: ("GET", "POST"),
    ENVIRONMENT: ("GET", "DELETE"),
    JOBS: ("GET", "POST"),
    JOB: ("GET",),
    JOB_CANCEL: ("POST",),
    JOB_LOGS: ("GET",),
    OPENAPI_DOCUMENT: ("GET",),
}

# A path parameter is one non-empty segment (the parameters' own patterns are checked by validation).
_PATTERNS = {
    route: re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", re.escape(route)) + "$") for route in METHODS
}


def find(path: str) -> tuple[str, dict[str, str]] | None:
    """The route at ``path`` and its path parameters; None when no route is there."""
    for route, pattern in _PATTERNS.items():
        found = pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def openapi_path(route: str) -> str:
    """``/jobs/<id>`` as OpenAPI (and API Gateway) write it: ``/jobs/{id}``."""
    return re.sub(r"<(\w+)>", r"{\1}", route)
