"""The run-job execution's input: what a person (console) or the API asks for, checked before anything runs.

Every rule here is one AWS (Batch, Kubernetes, tagging) would enforce later, or worse, not enforce: a bad
input fails the run at once with ``InvalidInput`` naming the field, instead of a failed SubmitJob, or a
job whose events never reach us. Whether the environment exists and owns the queue is the logic's check.

This pydantic model is the API's (its OpenAPI schema and request validation); the rules themselves, and the
pydantic-free reader the workflows use, are in :mod:`.run_input_reader`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator

from batch_on_eks.models.camel_case import CamelCaseModel
from batch_on_eks.models.run_input_reader import (
    BOUNDS,
    DEFAULT_RUNNABLE_TIMEOUT_SECONDS,
    ENVIRONMENT_RULE,
    INPUT_NAME,
    MAX_USER_TAGS,
    RUN_ID_TAG,
    RunRequest,
    kubernetes_env_names,
    matching,
    taggable,
)

__all__ = ["MAX_USER_TAGS", "RUN_ID_TAG", "RunJobInput"]


def _matching(name: str) -> AfterValidator:
    """A validator that accepts a string matching field ``name``'s pattern entirely, else states its rule."""
    return AfterValidator(lambda value: matching(name, value))


JobName = Annotated[str, _matching("job_name")]
EnvironmentName = Annotated[str, _matching("environment")]
JobQueue = Annotated[str, _matching("job_queue")]
JobDefinition = Annotated[str, _matching("job_definition")]
ContainerName = Annotated[str, _matching("container_name")]


# The API's model of the input (its OpenAPI schema, its request validation); the workflows read the same
# input with ``run_input_reader.read_run_input`` (no pydantic), and a property test keeps the two agreeing.
class RunJobInput(CamelCaseModel, RunRequest):
    """What to run, where, and how long to wait; camelCase in JSON, and any unknown field is an error."""

    model_config = ConfigDict(extra="forbid", strict=True)
    INPUT_NAME: ClassVar[str] = INPUT_NAME

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
    array_size: int | None = Field(default=None, ge=BOUNDS["array_size"][0], le=BOUNDS["array_size"][1])
    retry_attempts: int | None = Field(
        default=None, ge=BOUNDS["retry_attempts"][0], le=BOUNDS["retry_attempts"][1]
    )
    timeout_seconds: int | None = Field(
        default=None, ge=BOUNDS["timeout_seconds"][0], description="Batch's per-attempt time limit."
    )
    tags: dict[str, str] | None = None
    runnable_timeout_seconds: int = Field(
        default=DEFAULT_RUNNABLE_TIMEOUT_SECONDS,
        ge=BOUNDS["runnable_timeout_seconds"][0],
        le=BOUNDS["runnable_timeout_seconds"][1],
        description="How long the job may stay RUNNABLE before the run fails.",
    )
    heartbeat_seconds: int | None = Field(
        default=None,
        ge=BOUNDS["heartbeat_seconds"][0],
        le=BOUNDS["heartbeat_seconds"][1],
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
            raise ValueError(ENVIRONMENT_RULE)
        return environment

    @field_validator("env")
    @classmethod
    def _kubernetes_env_names(cls, env: dict[str, str] | None) -> dict[str, str] | None:
        return kubernetes_env_names(env)

    @field_validator("tags")
    @classmethod
    def _taggable(cls, tags: dict[str, str] | None) -> dict[str, str] | None:
        return taggable(tags)
