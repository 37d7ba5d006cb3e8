"""The run-job input as the workflows read it, without pydantic: the Validate step reads it on every run,
and pydantic alone would cost that cold start about 0.4x a bare ``import boto3``.

``RunJobInput`` (:mod:`.run_input`) is the same input as the API documents and validates it (its OpenAPI
schema); both take their rules from here (patterns, bounds, the environment-variable and tag rules) and
SubmitJob's parameters from ``RunRequest``, and a property test (tests/unit/models/test_run_input_reader.py)
checks that they accept the same inputs as the same values and refuse the others with the same problems
(pydantic's wording, as ``InvalidInput`` names them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.json_model import to_camel

# The tag SubmitJob puts on every job, for people looking at Batch (events are matched by job id, not tags).
RUN_ID_TAG = "batch-on-eks:run-id"
# Batch allows 50 tags on a job; the run-id tag takes one of them.
MAX_USER_TAGS = 49

_BATCH_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}"  # job, queue and job definition names
_BATCH_ARN = r"arn:aws[a-z-]*:batch:[a-z0-9-]+:[0-9]{12}"
_ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")

# Each string field's pattern (matched entirely) and the rule a mismatch states.
PATTERNS: dict[str, tuple[str, str]] = {
    "job_name": (
        _BATCH_NAME,
        "up to 128 letters, digits, hyphens and underscores, starting alphanumeric",
    ),
    "environment": (
        r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}",
        "an EKS cluster name: up to 100 letters, digits, hyphens and underscores, starting alphanumeric",
    ),
    "job_queue": (
        rf"{_BATCH_NAME}|{_BATCH_ARN}:job-queue/{_BATCH_NAME}",
        "a job queue name or a job queue ARN (arn:aws:batch:<region>:<account>:job-queue/<name>)",
    ),
    "job_definition": (
        rf"(?:{_BATCH_ARN}:job-definition/)?{_BATCH_NAME}(?::[1-9][0-9]*)?",
        "a job definition name, name:revision, or job definition ARN",
    ),
    "container_name": (
        r"(?=.{1,63}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?",
        "a Kubernetes container name: up to 63 lowercase letters, digits and hyphens, alphanumeric ends",
    ),
}
# Each integer field's bounds (inclusive; None: none). Small values are allowed on purpose for the
# runnable timeout and the heartbeat: the emulator's tests and the benchmark scale time down.
BOUNDS: dict[str, tuple[int, int | None]] = {
    "array_size": (2, 10_000),
    "retry_attempts": (1, 10),
    "timeout_seconds": (60, None),
    "runnable_timeout_seconds": (1, 7 * 86400),
    "heartbeat_seconds": (1, 3600),
}
DEFAULT_RUNNABLE_TIMEOUT_SECONDS = 3600
ENVIRONMENT_RULE = "required unless a valid jobQueue is given"
INPUT_NAME = "run input"


def matching(name: str, value: str) -> str:
    """``value`` if it matches field ``name``'s pattern entirely; else ValueError stating the rule."""
    pattern, rule = PATTERNS[name]
    if not re.fullmatch(pattern, value):  # compiled once, in re's own cache
        raise ValueError(f"{rule} (got {value!r})")
    return value


def kubernetes_env_names(env: dict[str, str] | None) -> dict[str, str] | None:
    """``env`` if Kubernetes and Batch accept its names; else ValueError naming the first that is not."""
    for name in env or {}:
        if not _ENV_VAR_NAME.fullmatch(name):
            raise ValueError(f"environment variable name {name!r} must match [-._a-zA-Z][-._a-zA-Z0-9]*")
        if name.startswith("AWS_BATCH"):
            raise ValueError(f"environment variable name {name!r}: AWS_BATCH* is reserved for Batch")
    return env


def taggable(tags: dict[str, str] | None) -> dict[str, str] | None:
    """``tags`` if Batch's tagging accepts them next to the run-id tag; else ValueError saying why not."""
    if tags is None:
        return None
    if len(tags) > MAX_USER_TAGS:
        raise ValueError(f"at most {MAX_USER_TAGS} tags (Batch allows 50; the run-id tag takes one)")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise ValueError(f"tag key {key!r} must be 1 to 128 characters")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the aws: prefix is reserved for AWS")
        if key == RUN_ID_TAG:
            raise ValueError(f"tag key {key!r} is set by the control plane")
        if len(value) > 256:
            raise ValueError(f"tag {key!r}: a value is at most 256 characters")
    return tags


class RunRequest:
    """What a run-job input asks Batch for: shared by ``RunInput`` and the API's ``RunJobInput``."""

    if TYPE_CHECKING:
        job_name: str
        job_definition: str | None
        command: list[str] | None
        args: list[str] | None
        env: dict[str, str] | None
        container_name: str | None
        array_size: int | None
        retry_attempts: int | None
        timeout_seconds: int | None
        tags: dict[str, str] | None

    @property
    def has_overrides(self) -> bool:
        """Whether the pod's container must be changed (the container name alone only targets log links)."""
        return self.command is not None or self.args is not None or self.env is not None

    def default_job_definition(self, environment: str) -> str:
        """The job definition to run: the one asked for, else the environment's hello-world."""
        return self.job_definition or f"{environment}-hello-world"

    def submit_request(
        self, queue_arn: str, job_definition: str, run_id: str | None = None
    ) -> dict[str, Any]:
        """SubmitJob's parameters: overrides go through ``eksPropertiesOverride`` only.

        EKS jobs reject ``containerOverrides``, so it never appears; the override block appears only when
        there is something to override. ``run_id`` becomes the ``RUN_ID_TAG`` tag, next to the user's tags.
        """
        request: dict[str, Any] = {
            "jobName": self.job_name,
            "jobQueue": queue_arn,
            "jobDefinition": job_definition,
            "propagateTags": False,
        }
        if self.has_overrides:
            container: dict[str, Any] = {}
            if self.container_name is not None:
                container["name"] = self.container_name
            if self.command is not None:
                container["command"] = list(self.command)
            if self.args is not None:
                container["args"] = list(self.args)
            if self.env is not None:
                container["env"] = [{"name": name, "value": value} for name, value in self.env.items()]
            request["eksPropertiesOverride"] = {"podProperties": {"containers": [container]}}
        if self.array_size is not None:
            request["arrayProperties"] = {"size": self.array_size}
        if self.retry_attempts is not None:
            request["retryStrategy"] = {"attempts": self.retry_attempts}
        if self.timeout_seconds is not None:
            request["timeout"] = {"attemptDurationSeconds": self.timeout_seconds}
        tags = dict(self.tags or {})
        if run_id is not None:
            tags[RUN_ID_TAG] = run_id
        if tags:
            request["tags"] = tags
        return request


@dataclass(frozen=True, kw_only=True)
class RunInput(RunRequest):
    """A valid run-job input (``read_run_input`` makes one), its fields in ``RunJobInput``'s order."""

    job_queue: str | None = None
    environment: str | None = None
    job_definition: str | None = None
    job_name: str
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] | None = None
    container_name: str | None = None
    array_size: int | None = None
    retry_attempts: int | None = None
    timeout_seconds: int | None = None
    tags: dict[str, str] | None = None
    runnable_timeout_seconds: int = DEFAULT_RUNNABLE_TIMEOUT_SECONDS
    heartbeat_seconds: int | None = None


# How each field reads (in declaration order): str, int, a list of str, or a str-to-str dict; and the fields
# without a default (null is not a value for them).
_KINDS = {
    "job_queue": "str",
    "environment": "str",
    "job_definition": "str",
    "job_name": "str",
    "command": "list",
    "args": "list",
    "env": "dict",
    "container_name": "str",
    "array_size": "int",
    "retry_attempts": "int",
    "timeout_seconds": "int",
    "tags": "dict",
    "runnable_timeout_seconds": "int",
    "heartbeat_seconds": "int",
}
_NOT_NULL = {"job_name", "runnable_timeout_seconds"}
_REQUIRED = {"job_name"}
_DICT_RULES = {"env": kubernetes_env_names, "tags": taggable}


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    return value


def _read(name: str, value: Any, where: str, problems: list[dict[str, str]]) -> Any:
    """The field's value, or None after adding its problems (pydantic's strict mode: no coercion)."""
    kind = _KINDS[name]
    try:
        if kind == "str":
            return matching(name, _string(value)) if name in PATTERNS else _string(value)
        if kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("Input should be a valid integer")
            low, high = BOUNDS[name]
            if value < low:
                raise ValueError(f"Input should be greater than or equal to {low}")
            if high is not None and value > high:
                raise ValueError(f"Input should be less than or equal to {high}")
            return value
        if kind == "list":
            if not isinstance(value, list):
                raise ValueError("Input should be a valid list")
            bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
            problems.extend({"field": f"{where}.{i}", "rule": "Input should be a valid string"} for i in bad)
            return None if bad else list(value)
        if not isinstance(value, dict):
            raise ValueError("Input should be a valid dictionary")
        bad_keys = [key for key, item in value.items() if not isinstance(item, str)]
        problems.extend(
            {"field": f"{where}.{key}", "rule": "Input should be a valid string"} for key in bad_keys
        )
        return None if bad_keys else _DICT_RULES[name](dict(value))
    except ValueError as broken:
        problems.append({"field": where, "rule": str(broken)})
        return None


def read_run_input(raw: Any) -> RunInput:
    """The run's input; InvalidInput naming each field and its rule, as ``RunJobInput.parse`` would."""
    if not isinstance(raw, dict):
        raise InvalidInput.field("(input)", "Input should be a valid dictionary or instance of RunJobInput")
    problems: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    read: set[str] = set()
    for name in _KINDS:
        key = to_camel(name)
        present = key if key in raw else name if name in raw else None
        read.add(present or key)
        value = None if present is None else raw[present]
        if present is None and name in _REQUIRED:
            problems.append({"field": key, "rule": "required"})
        elif value is not None or (present is not None and name in _NOT_NULL):
            value = _read(name, value, present or key, problems)
            if value is not None:
                values[name] = value
        elif name == "environment" and "job_queue" not in values:  # none given, and no valid queue
            problems.append({"field": key, "rule": ENVIRONMENT_RULE})
    rule = f"unknown field: not part of the {INPUT_NAME}"
    # A field given by both names is read by its JSON name: the other is unknown. An empty key is the
    # input's own path, as ``validation_errors`` names it.
    problems.extend({"field": str(key) or "(input)", "rule": rule} for key in raw if key not in read)
    if problems:
        raise InvalidInput(problems)
    return RunInput(**values)
