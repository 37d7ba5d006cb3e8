"""The one mapping of errors to HTTP statuses: every domain error of a request has its status, validation
errors name the request's field, and a route asked with a method it lacks is 405 with Allow."""

from __future__ import annotations

import json

import pytest

from batch_on_eks import errors as domain_errors
from batch_on_eks.api import problems


def _subclasses(kind: type) -> set[type]:
    found = set(kind.__subclasses__())
    for child in list(found):
        found |= _subclasses(child)
    return found


def test_every_request_error_has_its_status() -> None:
    # Given every domain error a request can raise
    errors = _subclasses(domain_errors.RequestError)
    # When the mapping is read
    # Then each has a 4xx status: NotFound ones 404, the others 409
    assert errors <= set(problems.STATUS)
    for error in errors:
        expected = 404 if error.__name__.endswith("NotFound") else 409
        assert problems.STATUS[error].value == expected, error.__name__


@pytest.mark.parametrize(
    ("location", "field"),
    [
        (("body", "nodeGroup", "minSize"), "nodeGroup.minSize"),
        (("body", "command", 0), "command.0"),
        (("body", 17), "body"),
        (("body",), "body"),
        (("query", "limit"), "limit"),
        (("header", "idempotency-key"), "idempotency-key"),
        (("path", "id"), "id"),
        ((), "body"),
    ],
)
def test_a_validation_errors_location_names_the_requests_field(
    location: tuple[object, ...], field: str
) -> None:
    assert problems._field(location) == field


def test_an_unknown_route_is_404_and_a_known_route_with_another_method_405() -> None:
    # Given the API's routes
    # When an unknown path, and a known path with another method, are answered
    unknown = problems.not_found("GET", "/clusters")
    wrong = problems.not_found("PATCH", "/jobs/run-1")
    # Then the first is 404 RouteNotFound, the second 405 with the route's methods in Allow
    assert unknown.status_code == 404
    assert json.loads(str(unknown.body))["code"] == "RouteNotFound"
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET"


def test_a_path_parameter_the_router_refused_is_400_on_the_parameter() -> None:
    # Given a path the route's pattern matches but Powertools' router refused for its characters
    # When it is answered with the route's own method
    answer = problems.not_found("GET", "/environments/\u0084")
    # Then it is 400 InvalidInput on the parameter
    assert answer.status_code == 400
    assert json.loads(str(answer.body)) == {
        "code": "InvalidInput",
        "message": "name: characters outside the parameter's pattern",
        "field": "name",
    }
