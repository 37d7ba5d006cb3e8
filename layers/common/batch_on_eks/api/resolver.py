"""The API's resolver: Powertools' REST resolver with request and response validation, the routes, the
error answers, and the checks that come before any route (body size and type).

API Gateway accepts bodies up to 10 MB and Lambda 6 MB; no request of this API needs more than a few KiB,
so anything over ``MAX_BODY_BYTES`` is refused (413) before it is parsed. A body that is not JSON is
refused (415) before Powertools picks a form or multipart parser for it.
"""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from batch_on_eks.api import environment_routes, job_routes, openapi, paths, problems
from batch_on_eks.api.schemas import MAX_BODY_BYTES, OpenApiDocument

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(environment_routes.router)
app.include_router(job_routes.router)
problems.install(app)
openapi.configure(app)


@app.get(
    paths.OPENAPI_DOCUMENT,
    operation_id="getOpenApiDocument",
    tags=["api"],
    summary="This API's OpenAPI document",
    responses={**problems.documented_ok("The document."), **problems.documented()},
)
def get_openapi_document() -> OpenApiDocument:
    return OpenApiDocument.model_validate(openapi.served(app))


_JSON = "application/json"
_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name and value is not None:
            return str(value)
    for key, values in (event.get("multiValueHeaders") or {}).items():
        if key.lower() == name and values:
            return str(values[-1])
    return None


def _set_header(event: dict[str, Any], name: str, value: str) -> None:
    for field in ("headers", "multiValueHeaders"):
        current = {k: v for k, v in (event.get(field) or {}).items() if k.lower() != name}
        current[name] = value if field == "headers" else [value]
        event[field] = current


def _proxy_answer(response: Response[Any]) -> dict[str, Any]:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": response.content_type or _JSON, **(response.headers or {})},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _refusal(event: dict[str, Any]) -> Response[Any] | None:
    """Refuse a body that is too large, not text, or not JSON; make a base64 body text again (JSON is text:
    API Gateway encodes it only when a binary media type matches)."""
    body = event.get("body")
    if body is None or body == "":
        return None
    raw: bytes
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(str(body), validate=True)
        except (binascii.Error, ValueError):
            return problems.error_response(
                HTTPStatus.BAD_REQUEST, "MalformedJson", "the body is not JSON", "body"
            )
    else:
        raw = str(body).encode("utf-8", errors="surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        return problems.payload_too_large(MAX_BODY_BYTES)
    if str(event.get("httpMethod", "")).upper() in _METHODS_WITH_BODY:
        content_type = _header(event, "content-type")
        if content_type is not None:
            if content_type.split(";", 1)[0].strip().lower() != _JSON:
                return problems.unsupported_media_type()
            _set_header(event, "content-type", _JSON)
    if event.get("isBase64Encoded"):
        try:
            event["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            return problems.error_response(
                HTTPStatus.BAD_REQUEST, "MalformedJson", "the body is not UTF-8", "body"
            )
        event["isBase64Encoded"] = False
    return _not_an_object(str(event["body"]))


def _not_an_object(body: str) -> Response[Any] | None:
    """Every body of this API is a JSON object. (Powertools, given a JSON array for a model, validates the
    array's first element: ``[{...}, 3]`` would pass as ``{...}``.) Malformed JSON is left to Powertools'
    validation, which names it."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if parsed is None or isinstance(parsed, dict):
        return None
    return problems.error_response(
        HTTPStatus.BAD_REQUEST, "InvalidInput", "body: must be a JSON object", "body"
    )


def answer_api_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one API Gateway (REST, proxy) event."""
    refused = _refusal(event)
    if refused is not None:
        return _proxy_answer(refused)
    return app.resolve(event, context)
