"""Every error the API answers, and its HTTP status: the one place where what went wrong becomes a status.

The body is always ``{"code", "message", "field"}`` (:class:`~batch_on_eks.api.schemas.ErrorBody`). A
request that breaks the schema (malformed JSON, a wrong type, a missing or unknown field, a parameter out
of range) is 400, as is one that breaks a rule the logic checks (``InvalidInput``); bad input never yields
a 5xx. The statuses and codes are documented in docs/api.md and, per operation, in the OpenAPI document.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from batch_on_eks import errors
from batch_on_eks.api import paths
from batch_on_eks.api.schemas import ErrorBody
from batch_on_eks.errors import AwsRequestFailed, InvalidInput, RequestError
from batch_on_eks.observability import logger

# Domain outcomes -> status; the error's class name is its ``code``.
STATUS: dict[type[Exception], HTTPStatus] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    errors.EnvironmentNotFound: HTTPStatus.NOT_FOUND,
    errors.RunNotFound: HTTPStatus.NOT_FOUND,
    errors.EnvironmentExists: HTTPStatus.CONFLICT,
    errors.EnvironmentBusy: HTTPStatus.CONFLICT,
    errors.EnvironmentDeleted: HTTPStatus.CONFLICT,
    errors.EnvironmentNotReady: HTTPStatus.CONFLICT,
    errors.RunFinished: HTTPStatus.CONFLICT,
    errors.IdempotencyKeyReused: HTTPStatus.CONFLICT,
}


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body = json.dumps({"code": code, "message": message, "field": field}, separators=(",", ":"))
    return Response(status.value, content_types.APPLICATION_JSON, body, headers=headers or {})


def _field(location: Sequence[Any]) -> str:
    """Powertools' error location as the request part it names: ``("body", "nodeGroup", "minSize")`` is
    ``nodeGroup.minSize``; a header, query or path parameter is its name; the body itself is ``body``."""
    if not location:
        return "body"
    where, *rest = location
    if where == "body" and rest and isinstance(rest[0], int):
        return "body"  # a JSON syntax error: the rest is a character offset
    return ".".join(str(part) for part in rest) or str(where)


def _problem(error: dict[str, Any]) -> tuple[str, str]:
    field = _field(error.get("loc") or ())
    kind = error.get("type")
    if kind == "json_invalid":
        return field, "not valid JSON"
    if kind == "missing":
        return field, "required"
    if kind == "extra_forbidden":
        return field, "unknown field"
    return field, str(error.get("msg") or kind).removeprefix("Value error, ")


def _validation(error: RequestValidationError) -> Response[Any]:
    problems = [_problem(e) for e in error.errors()]
    if any((e.get("loc") or ("",))[0] == "response" for e in error.errors()):
        # Our answer broke its own schema: a bug of ours, never the caller's (Powertools reports it with the
        # request's exception class when no response status is configured for it).
        logger.error("response failed validation", extra={"problems": problems})
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError", "the answer failed validation"
        )
    code = "MalformedJson" if any(e.get("type") == "json_invalid" for e in error.errors()) else "InvalidInput"
    message = "; ".join(f"{field}: {rule}" for field, rule in problems)
    return error_response(HTTPStatus.BAD_REQUEST, code, message, problems[0][0] if problems else None)


def _invalid_input(error: InvalidInput) -> Response[Any]:
    problems = error.problems or [{"field": "body", "rule": "invalid"}]
    message = "; ".join(f"{p.get('field')}: {p.get('rule')}" for p in problems)
    return error_response(HTTPStatus.BAD_REQUEST, "InvalidInput", message, problems[0].get("field"))


def _request_error(error: RequestError) -> Response[Any]:
    status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), HTTPStatus.BAD_REQUEST)
    return error_response(status, type(error).__name__, error.message, error.field)


def not_found(method: str, path: str) -> Response[Any]:
    """No route: 404; a route that exists, asked with a method it does not answer: 405 with ``Allow``.

    A route asked with one of its methods lands here only when Powertools' router refused a path parameter
    for its characters (it matches parameters with a narrower character set than a path segment): that is
    the parameter breaking its pattern, 400 like any other."""
    found = paths.find(path)
    if found is None:
        return error_response(
            HTTPStatus.NOT_FOUND, "RouteNotFound", f"no route {path}; see GET /openapi.json"
        )
    route, parameters = found
    allowed = paths.METHODS[route]
    if method in allowed and parameters:
        name = next(iter(parameters))
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "InvalidInput",
            f"{name}: characters outside the parameter's pattern",
            name,
        )
    return error_response(
        HTTPStatus.METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
        headers={"Allow": ", ".join(allowed)},
    )


def _unexpected(error: Exception) -> Response[Any]:
    # AWS saying "slow down" is not the caller's fault, nor ours: 503, to retry later.
    if isinstance(error, AwsRequestFailed) and error.throttled:
        return error_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "AWS is throttling the control plane: retry shortly",
            headers={"Retry-After": "2"},
        )
    logger.exception("unexpected error")
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError", "the control plane failed; see its logs"
    )


def install(app: APIGatewayRestResolver) -> None:
    """Register the handlers: every exception a route can raise ends in one of the answers above."""

    @app.exception_handler(RequestValidationError)
    def _on_validation(error: RequestValidationError) -> Response[Any]:
        return _validation(error)

    @app.exception_handler(RequestUnsupportedContentType)
    def _on_content_type(error: RequestUnsupportedContentType) -> Response[Any]:
        return unsupported_media_type()

    @app.exception_handler(InvalidInput)
    def _on_invalid_input(error: InvalidInput) -> Response[Any]:
        return _invalid_input(error)

    @app.exception_handler(RequestError)
    def _on_request_error(error: RequestError) -> Response[Any]:
        return _request_error(error)

    @app.exception_handler(NotFoundError)
    def _on_not_found(error: NotFoundError) -> Response[Any]:
        return not_found(app.current_event.http_method.upper(), app.current_event.path)

    @app.exception_handler(Exception)
    def _on_anything_else(error: Exception) -> Response[Any]:
        return _unexpected(error)


def unsupported_media_type() -> Response[Any]:
    return error_response(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        "send the body as JSON (Content-Type: application/json)",
        "Content-Type",
    )


def payload_too_large(limit: int) -> Response[Any]:
    return error_response(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge", f"the body is over {limit} bytes", "body"
    )


# -- the errors each operation documents in the OpenAPI document --------------------------------------------
_DESCRIPTIONS = {
    HTTPStatus.BAD_REQUEST: "The request breaks the schema or a rule: InvalidInput, MalformedJson.",
    HTTPStatus.NOT_FOUND: "No such environment or run: EnvironmentNotFound, RunNotFound.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is over the limit: PayloadTooLarge.",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not JSON: UnsupportedMediaType.",
    # Answered before the function runs, in the same error format (the template's GatewayResponses):
    HTTPStatus.UNAUTHORIZED: "Not authenticated (the local bridge's bearer token is missing or wrong).",
    HTTPStatus.FORBIDDEN: (
        "API Gateway refused the request: not signed (MISSING_AUTHENTICATION_TOKEN), a bad signature "
        "(INVALID_SIGNATURE), or the caller may not execute-api:Invoke it (ACCESS_DENIED)."
    ),
    HTTPStatus.TOO_MANY_REQUESTS: "The stage's throttling limit was reached (THROTTLED): retry later.",
}
# Every operation can get these: authentication and throttling come before any route.
_BEFORE_ANY_ROUTE = (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.TOO_MANY_REQUESTS)


def documented(*statuses: HTTPStatus, conflict: str | None = None) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses for these error statuses (``conflict`` describes the operation's 409), and those
    every operation can get (401, 403, 429)."""
    documented_statuses: dict[int, OpenAPIResponse] = {}
    for status in (*statuses, *_BEFORE_ANY_ROUTE):
        description = conflict if status is HTTPStatus.CONFLICT else _DESCRIPTIONS[status]
        documented_statuses[status.value] = {
            "description": description or status.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
    return documented_statuses


def documented_ok(description: str) -> dict[int, OpenAPIResponse]:
    """The OpenAPI 200 of a read (its schema comes from the route's return type)."""
    return {HTTPStatus.OK.value: {"description": description}}


def documented_accepted(description: str, follow: str) -> dict[int, OpenAPIResponse]:
    """The OpenAPI 202 of a long operation, with its ``Location`` header."""
    return {
        HTTPStatus.ACCEPTED.value: {
            "description": description,
            "headers": {"Location": {"description": follow, "schema": {"type": "string"}}},
        }
    }
