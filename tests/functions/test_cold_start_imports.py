"""What a cold start imports. The hot-path functions run on every run (docs/architecture.md, "Cold starts"):
their cold start must stay within 1.3x a bare ``import boto3`` (``make bench`` measures it), and pydantic
alone would cost about 0.4x that. A regression guard, without timings: importing each of them, in a fresh
process, must not load pydantic (nor the package's pydantic models); nor may the Kubernetes client and the
batch-access logic load PyYAML before aws-auth is parsed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

# Every run goes through these: started by an event (start_requested_run) or by StartExecution, its
# execution's steps, its job's events, and the reconciler that checks it. The API (answer_api_request) is not
# among them: see docs/architecture.md.
HOT_PATH = [
    "start_requested_run",
    "validate_run",
    "submit_and_wait",
    "record_job_event",
    "run_result",
    "run_ended",
    "reconcile_runs",
]
# The package's pydantic models: the API's schemas, the run input as the API documents it, the workflows'
# inputs, the custom resource's event
PYDANTIC_MODELS = {
    "batch_on_eks.models.camel_case",
    "batch_on_eks.models.run_input",
    "batch_on_eks.models.environment_input",
    "batch_on_eks.models.custom_resource",
    "batch_on_eks.api.schemas",
}

PROBE = """
import json, sys
import app
ours = [m for name, m in list(sys.modules.items()) if name.startswith("batch_on_eks.")]
classes = {
    f"{m.__name__}.{n}" for m in ours for n, v in vars(m).items() if getattr(v, "__module__", 0) == m.__name__
}
print(json.dumps([sorted(sys.modules), sorted(classes)]))
"""


def loaded_by(function: str) -> tuple[list[str], list[str]]:
    """The modules loaded by importing the function's handler, in a fresh Python process set up as Lambda
    sets up the function (its folder, then the layer), and the package's classes they made."""
    path = os.pathsep.join([str(REPO_ROOT / "functions" / function), str(REPO_ROOT / "layers" / "common")])
    environment = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=environment,
        cwd=REPO_ROOT / "functions" / function,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules, classes = json.loads(done.stdout.strip().splitlines()[-1])
    assert "app" in modules
    assert "batch_on_eks" in modules
    return modules, classes


@pytest.mark.parametrize("function", HOT_PATH)
def test_hot_path_function_does_not_import_pydantic(function: str) -> None:
    # Given a hot-path function
    # When a fresh process imports its handler module
    modules, _classes = loaded_by(function)
    # Then neither pydantic nor the pydantic models were loaded
    assert "pydantic" not in modules
    loaded = [m for m in modules if m in PYDANTIC_MODELS or m.split(".")[0] in ("pydantic", "pydantic_core")]
    assert loaded == []


@pytest.mark.parametrize("function", [f for f in HOT_PATH if f != "record_job_event"])
def test_only_the_job_events_function_loads_the_event_envelope(function: str) -> None:
    # Given a hot-path function other than the job events' (each dataclass costs its cold start about 1%)
    # When a fresh process imports its handler module
    _modules, classes = loaded_by(function)
    # Then the EventBridge envelope's models were not made
    made = [name for name in classes if name.endswith(("EventBridgeEnvelope", "BatchJobStateChangeEvent"))]
    assert made == []


def test_the_kubernetes_modules_do_not_import_yaml_until_aws_auth_is_parsed() -> None:
    # Given a fresh process with the layer on its path
    probe = (
        "import sys; import batch_on_eks.aws.kubernetes, batch_on_eks.environments.batch_access; "
        "print('yaml' in sys.modules)"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "layers" / "common")}
    # When the client and the logic are imported
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Then PyYAML is not loaded
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
