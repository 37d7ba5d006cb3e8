"""Would the SDK the layer ships have sent the calls the functions made? (one SDK everywhere)

The tests run the handlers with this process's botocore; on Lambda they run with the botocore in the common
layer. Each call recorded by :mod:`local.embedded_aws.call_recorder` (service, operation, parameters) is
replayed through the *shipped* botocore's parameter validation: in a fresh Python with the built layer first
and nothing else importable (``-S``: no site-packages), so a layer whose botocore lacks an operation or a
parameter the control plane uses (Batch's ``eksConfiguration.accessEntry``, say) is caught here.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from local.embedded_aws.call_recorder import RecordedCall
from tests.template.built_layer import BUILT_LAYER, built_layer

REPLAY_BOUND_SECONDS = 300

# Runs in the fresh Python: reads the pickled calls on stdin, prints one JSON line per problem.
_REPLAY = """
import json, pickle, sys
import botocore, botocore.session
from botocore.validate import ParamValidator
layer = sys.argv[1]
if not botocore.__file__.startswith(layer):
    raise SystemExit(f"botocore came from {botocore.__file__}, not from the layer {layer}")
session = botocore.session.get_session()
models = {}
print(json.dumps({"botocore": botocore.__version__}))
for service, operation, params in pickle.load(sys.stdin.buffer):
    if service not in models:
        models[service] = session.get_service_model(service)
    model = models[service]
    if operation not in model.operation_names:
        print(json.dumps({"call": f"{service}.{operation}", "problem": "no such operation"}))
        continue
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape) if shape is not None else None
    if report is not None and report.has_errors():
        print(json.dumps({"call": f"{service}.{operation}", "problem": report.generate_report()}))
"""


@dataclass(frozen=True)
class Replay:
    botocore_version: str
    problems: list[str]  # "service.Operation: what the shipped botocore's validation says"


def replay(calls: Iterable[RecordedCall], layer: Path = BUILT_LAYER) -> Replay:
    """Validate each distinct call with the botocore of the built ``layer``."""
    distinct = {}
    for call in calls:
        key = (call.service, call.operation, pickle.dumps(dict(call.params)))
        distinct.setdefault(key, (call.service, call.operation, dict(call.params)))
    done = subprocess.run(
        [sys.executable, "-S", "-c", _REPLAY, str(built_layer(layer))],
        input=pickle.dumps(list(distinct.values())),
        env={"PYTHONPATH": str(layer), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        timeout=REPLAY_BOUND_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the replay through the shipped botocore failed: {done.stderr.decode()[-2000:]}")
    lines = [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]
    version = str(lines[0]["botocore"])
    problems = sorted({f"{line['call']}: {line['problem']}" for line in lines[1:]})
    return Replay(version, problems)
