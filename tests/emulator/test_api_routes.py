"""The local bridge chooses the route API Gateway would: a literal segment before a {parameter}, a parameter
before a greedy {proxy+}; the method before ANY; and fills the path parameters."""

from __future__ import annotations

import pytest

from local.embedded_aws.api_routes import Route, match_route

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:api"
ROUTES = [
    Route("/jobs", "GET", FUNCTION),
    Route("/jobs", "POST", FUNCTION),
    Route("/jobs", "ANY", FUNCTION),
    Route("/jobs/{id}", "GET", FUNCTION),
    Route("/jobs/{id}", "ANY", FUNCTION),
    Route("/jobs/{id}/logs", "GET", FUNCTION),
    Route("/jobs/latest", "GET", FUNCTION),
    Route("/{proxy+}", "ANY", FUNCTION),
    Route("/", "ANY", FUNCTION),
]


@pytest.mark.parametrize(
    ("method", "path", "resource", "route_method", "parameters"),
    [
        ("GET", "/jobs", "/jobs", "GET", {}),
        ("PUT", "/jobs", "/jobs", "ANY", {}),
        ("GET", "/jobs/run-1", "/jobs/{id}", "GET", {"id": "run-1"}),
        ("GET", "/jobs/latest", "/jobs/latest", "GET", {}),
        ("GET", "/jobs/run-1/logs", "/jobs/{id}/logs", "GET", {"id": "run-1"}),
        ("GET", "/jobs/run-1/other", "/{proxy+}", "ANY", {"proxy": "jobs/run-1/other"}),
        ("GET", "/", "/", "ANY", {}),
        ("DELETE", "/clusters/x", "/{proxy+}", "ANY", {"proxy": "clusters/x"}),
    ],
)
def test_the_route_api_gateway_would_choose(
    method: str, path: str, resource: str, route_method: str, parameters: dict[str, str]
) -> None:
    # Given the deployed API's routes
    # When a request's method and path are matched
    found = match_route(ROUTES, method, path)
    # Then the resource, the method and the path parameters are API Gateway's
    assert found is not None
    assert (found.route.resource_path, found.route.method, found.path_parameters) == (
        resource,
        route_method,
        parameters,
    )


def test_a_resource_without_the_method_or_any_is_no_route() -> None:
    # Given an API whose /jobs/{id}/logs answers only GET, and no catch-all
    routes = [r for r in ROUTES if r.resource_path not in ("/{proxy+}", "/")]
    # When it is asked with POST, or for a path no resource has
    # Then there is no route (API Gateway's MISSING_AUTHENTICATION_TOKEN)
    assert match_route(routes, "POST", "/jobs/run-1/logs") is None
    assert match_route(routes, "GET", "/clusters") is None
