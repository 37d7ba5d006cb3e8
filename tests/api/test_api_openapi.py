"""The committed OpenAPI document (openapi.json) is the one the code generates, a valid OpenAPI 3.1
document, documents every route the handler serves, and is what GET /openapi.json serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openapi_spec_validator import validate

from batch_on_eks.api import paths
from batch_on_eks.api.openapi import document_text
from batch_on_eks.api.resolver import app
from tests.api.support import proxy_event
from tests.conftest import REPO_ROOT

COMMITTED = REPO_ROOT / "openapi.json"
REGENERATE = "make openapi"


def test_the_committed_document_is_what_the_code_generates() -> None:
    # Given the committed document and the routes, parameters and models in the code
    # When the document is generated from the resolver
    generated = document_text(app)
    # Then they are the same, byte for byte
    assert COMMITTED.read_text(encoding="utf-8") == generated, f"openapi.json is stale: run {REGENERATE}"


def test_the_check_command_reports_drift(tmp_path: Path) -> None:
    # Given a copy of the document that no longer matches the code
    stale = tmp_path / "openapi.json"
    stale.write_text(
        COMMITTED.read_text(encoding="utf-8").replace("Read a run", "Read a job"), encoding="utf-8"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "layers" / "common")}
    try:
        # When the regeneration script checks it, and the committed one
        check = [sys.executable, str(REPO_ROOT / "scripts" / "openapi_document.py"), "--check"]
        stale_run = subprocess.run(
            [*check, str(stale)], env=environment, capture_output=True, text=True, check=False
        )
        fresh_run = subprocess.run(
            [*check, str(COMMITTED)], env=environment, capture_output=True, text=True, check=False
        )
    finally:
        stale.unlink()
    # Then it fails on the stale copy, naming the fix, and passes on the committed one
    assert stale_run.returncode == 1
    assert "regenerate" in stale_run.stderr
    assert fresh_run.returncode == 0, fresh_run.stderr


def test_the_document_is_valid_openapi_and_documents_every_route() -> None:
    # Given the committed document
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    # When it is validated and its operations listed
    validate(document)
    operations = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    # Then its operations are exactly the handler's routes
    assert operations == {
        (paths.openapi_path(route), method) for route, methods in paths.METHODS.items() for method in methods
    }
    # And every error it documents has the API's error format, and validation errors are 400 (no 422)
    for item in document["paths"].values():
        for operation in item.values():
            assert "422" not in operation["responses"]
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    # And every operation requires the SigV4 security scheme
    assert document["security"] == [{"sigv4": []}]
    assert document["components"]["securitySchemes"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"


def test_get_openapi_json_serves_the_committed_document() -> None:
    # Given the resolver (no AWS call is needed to serve the document)
    # When GET /openapi.json is resolved
    answer = app.resolve(proxy_event("GET", "/openapi.json"), None)
    # Then the body is the committed document
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == json.loads(COMMITTED.read_text(encoding="utf-8"))
