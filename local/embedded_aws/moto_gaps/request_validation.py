"""Every EKS and Batch request is validated against botocore's service model before moto sees it, answering
400 with the service's own error code when invalid: moto accepts whatever it can read, where AWS refuses a
misspelt or ill-typed parameter."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator
from moto.batch.responses import BatchResponse
from moto.core.responses import BaseResponse
from moto.core.routing import get_service_router
from moto.eks.responses import EKSResponse

_VALIDATION_ERROR_CODE = {"eks": "InvalidParameterException", "batch": "ClientException"}


class _InvalidBody(Exception):
    pass


def _coerce(shape: Shape, values: list[str]) -> Any:
    if shape.type_name == "list":
        return list(values)
    value = values[0]
    if shape.type_name in ("integer", "long"):
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if shape.type_name == "boolean":
        return {"true": True, "false": False}.get(value.lower(), value)
    return value


def _request_params(op: OperationModel, uri_params: dict[str, Any], resp: BaseResponse) -> dict[str, Any]:
    """Rebuild the caller's parameters from the HTTP request, the way botocore serialized them."""
    shape = op.input_shape
    if shape is None:
        return {}
    raw = resp.body
    body: Any = {}
    if raw:
        try:
            body = json.loads(raw)
        except ValueError as err:
            raise _InvalidBody("the request body is not valid JSON") from err
    if not isinstance(body, dict):
        raise _InvalidBody("the request body must be a JSON object")
    query = parse_qs(resp.parsed_url.query, keep_blank_values=True)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in uri_params:
                params[name] = _coerce(member, [str(uri_params[wire])])
        elif location == "querystring":
            if wire in query:
                params[name] = _coerce(member, query[wire])
        elif location == "header":
            if wire in resp.headers:
                params[name] = _coerce(member, [resp.headers[wire]])
        elif wire in body:
            params[name] = body[wire]
    unknown = sorted(set(body) - {m.serialization.get("name", n) for n, m in shape.members.items()})
    if unknown:
        raise _InvalidBody(f"Unknown parameter in input: {', '.join(repr(k) for k in unknown)}")
    return params


def _validate_request(service: str, resp: BaseResponse) -> tuple[int, dict[str, str], str] | None:
    """Validate the request `resp` holds against botocore's model; an error response, or None."""
    try:
        op, uri_params = get_service_router(service).match(resp.normalized_request)
    except Exception:  # not an operation of the model: leave it to moto
        return None
    try:
        params = _request_params(op, uri_params, resp)
        report = ParamValidator().validate(params, op.input_shape) if op.input_shape else None
        problem = report.generate_report() if report is not None and report.has_errors() else None
    except _InvalidBody as err:
        problem = str(err)
    if problem is None:
        return None
    code = _VALIDATION_ERROR_CODE[service]
    message = f"{op.name}: {problem}"
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "status": "400"}
    return 400, headers, json.dumps({"__type": code, "message": message})


def _with_validation(service: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def call_action(self: BaseResponse) -> Any:
        error = _validate_request(service, self)
        if error is not None:
            return error
        return original(self)

    return call_action


def install() -> None:
    EKSResponse.call_action = _with_validation("eks", EKSResponse.call_action)  # type: ignore[method-assign]
    BatchResponse.call_action = _with_validation("batch", BatchResponse.call_action)  # type: ignore[method-assign]
