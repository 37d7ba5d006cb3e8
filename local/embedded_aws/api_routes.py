"""The deployed REST API's routes, read back through API Gateway's own API, and the route API Gateway would
choose for a request: a literal path segment before a ``{parameter}``, a parameter before a greedy
``{proxy+}``, the method before ``ANY``. :mod:`local.embedded_aws.api_bridge` serves them on 127.0.0.1."""

from __future__ import annotations

import re
from dataclasses import dataclass

import boto3

_FUNCTION_IN_URI = re.compile(r"/functions/(?P<function>arn:[^/]+)/invocations$")
_GREEDY = "+}"


@dataclass(frozen=True)
class Route:
    """One method of one resource of the deployed API, and the function its proxy integration invokes."""

    resource_path: str  # as API Gateway writes it: /jobs/{id}, /{proxy+}
    method: str  # GET, POST... or ANY
    function_arn: str


def deployed_routes(rest_api_id: str, region: str) -> list[Route]:
    """Every method of the API that has a Lambda proxy integration (read through API Gateway's API)."""
    apigateway = boto3.client("apigateway", region_name=region)
    routes = []
    for resource in apigateway.get_resources(restApiId=rest_api_id, limit=500)["items"]:
        for method in resource.get("resourceMethods") or {}:
            integration = apigateway.get_integration(
                restApiId=rest_api_id, resourceId=resource["id"], httpMethod=method
            )
            match = _FUNCTION_IN_URI.search(str(integration.get("uri", "")))
            if str(integration.get("type", "")).upper() == "AWS_PROXY" and match:
                routes.append(Route(resource["path"], method.upper(), match.group("function")))
    return routes


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


def _segment_rank(template: str) -> int:
    """Literal segments win over parameters, and parameters over a greedy ``{proxy+}``."""
    if template.endswith(_GREEDY):
        return 2
    return 1 if template.startswith("{") else 0


def _match_resource(segments: list[str], template: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith(_GREEDY):
            rest = segments[index:]
            if not rest:
                return None
            parameters[part[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return parameters if len(segments) == len(template) else None


def match_route(routes: list[Route], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway would choose for ``method`` and ``path`` (the path below the stage)."""
    segments = [part for part in path.split("/") if part]
    candidates: list[tuple[list[int], str, dict[str, str]]] = []
    for resource in sorted({route.resource_path for route in routes}):
        template = [part for part in resource.split("/") if part]
        parameters = _match_resource(segments, template)
        if parameters is not None:
            candidates.append(([_segment_rank(part) for part in template], resource, parameters))
    if not candidates:
        return None
    _rank, resource, parameters = min(candidates, key=lambda candidate: candidate[0])
    methods = {route.method: route for route in routes if route.resource_path == resource}
    route = methods.get(method) or methods.get("ANY")
    return RouteMatch(route, parameters) if route is not None else None
