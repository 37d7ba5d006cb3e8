"""The run-job execution's input: what a person (console) or the API asks for, checked before anything runs.

Every rule here is one AWS (Batch, Kubernetes, tagging) would enforce later, or worse, not enforce: a bad
input fails the run at once with ``InvalidInput`` naming the field, instead of a failed SubmitJob, or a
job whose events never reach us. Whether the environment exists and owns the queue is the logic's check.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator

from batch_on_eks.models.camel_case import CamelCaseModel

# The tag SubmitJob puts on every job, for people looking at Batch (events are matched by job id, not tags).
RUN_ID_TAG = "batch-on-eks:run-id"
# Batch allows 50 tags on a job; the run-id tag takes one of them.
MAX_USER_TAGS = 49

_BATCH_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}"  # job, queue and job definition names
_BATCH_ARN = r"arn:aws[a-z-]*:batch:[a-z0-9-]+:[0-9]{12}"
_ENV_VAR_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


def _matching(pattern: str, rule: str) -> AfterValidator:
    """A validator that accepts a string matching ``pattern`` entirely, and otherwise states ``rule``."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{rule} (got {value!r})")
        return value

    return AfterValidator(check)


JobName = Annotated[
    str,
    _matching(_BATCH_NAME, "up to 128 letters, digits, hyphens and underscores, starting alphanumeric"),
]
EnvironmentName = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}",
        "an EKS cluster name: up to 100 letters, digits, hyphens and underscores, starting alphanumeric",
    ),
]
JobQueue = Annotated[
    str,
    _matching(
        rf"{_BATCH_NAME}|{_BATCH_ARN}:job-queue/{_BATCH_NAME}",
        "a job queue name or a job queue ARN (arn:aws:batch:<region>:<account>:job-queue/<name>)",
    ),
]
JobDefinition = Annotated[
    str,
    _matching(
        rf"(?:{_BATCH_ARN}:job-definition/)?{_BATCH_NAME}(?::[1-9][0-9]*)?",
        "a job definition name, name:revision, or job definition ARN",
    ),
]
ContainerName = Annotated[
    str,
    _matching(
        r"(?=.{1,63}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?",
        "a Kubernetes container name: up to 63 lowercase letters, digits and hyphens, alphanumeric ends",
    ),
]


class RunJobInput(CamelCaseModel):
    """What to run, where, and how long to wait; camelCase in JSON, and any unknown field is an error."""

    model_config = ConfigDict(extra="forbid", strict=True)
    INPUT_NAME: ClassVar[str] = "run input"

    # Declared before ``environment``: its validator needs to know whether a queue was given.
    job_queue: JobQueue | None = Field(
        default=None, description="One of the environment's job queues; default: its on-demand queue."
    )
    environment: EnvironmentName | None = Field(
        default=None,
        validate_default=True,
        description="The environment (its EKS cluster's name); required unless jobQueue is given.",
    )
    job_definition: JobDefinition | None = Field(
        default=None, description="Default: the environment's hello-world, <environment>-hello-world."
    )
    job_name: JobName
    command: list[str] | None = Field(default=None, description="Overrides the container's command.")
    args: list[str] | None = Field(default=None, description="Overrides the container's args.")
    env: dict[str, str] | None = Field(default=None, description="Environment variables to add or override.")
    container_name: ContainerName | None = Field(
        default=None,
        description="The container the overrides and the log links target; default: the first one.",
    )
    array_size: int | None = Field(default=None, ge=2, le=10_000)
    retry_attempts: int | None = Field(default=None, ge=1, le=10)
    timeout_seconds: int | None = Field(default=None, ge=60, description="Batch's per-attempt time limit.")
    tags: dict[str, str] | None = None
    # Both accept small values on purpose: the emulator's tests and the benchmark scale time down.
    runnable_timeout_seconds: int = Field(
        default=3600,
        ge=1,
        le=7 * 86400,
        description="How long the job may stay RUNNABLE before the run fails.",
    )
    heartbeat_seconds: int | None = Field(
        default=None,
        ge=1,
        le=3600,
        description=(
            "No news of the job for this long: the stack's scheduled reconciler asks DescribeJobs about it "
            "at its next run (every ReconcilePeriodMinutes). Default: ReconcilePeriodMinutes. The run's "
            "execution waits once, whatever the job's length: this sets no loop of its own."
        ),
    )

    @field_validator("environment")
    @classmethod
    def _environment_unless_queue(cls, environment: str | None, info: ValidationInfo) -> str | None:
        if environment is None and info.data.get("job_queue") is None:
            raise ValueError("required unless a valid jobQueue is given")
        return environment

    @field_validator("env")
    @classmethod
    def _kubernetes_env_names(cls, env: dict[str, str] | None) -> dict[str, str] | None:
        for name in env or {}:
            if not _ENV_VAR_NAME.fullmatch(name):
                raise ValueError(f"environment variable name {name!r} must match [-._a-zA-Z][-._a-zA-Z0-9]*")
            if name.startswith("AWS_BATCH"):
                raise ValueError(f"environment variable name {name!r}: AWS_BATCH* is reserved for Batch")
        return env

    @field_validator("tags")
    @classmethod
    def _taggable(cls, tags: dict[str, str] | None) -> dict[str, str] | None:
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
