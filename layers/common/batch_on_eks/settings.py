"""The functions' configuration: every environment variable the template gives a function, in one model.

Nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """What ``template.yaml`` (Globals and each function) sets in a function's environment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    resource_prefix: str = Field(alias="RESOURCE_PREFIX", pattern=r"^[a-z][a-z0-9]{1,15}$")
    runs_table: str = Field(alias="RUNS_TABLE", min_length=3)
    environments_table: str = Field(alias="ENVIRONMENTS_TABLE", min_length=3)
    finished_run_retention_days: int = Field(alias="FINISHED_RUN_RETENTION_DAYS", ge=1, le=3650)
    aws_region: str = Field(alias="AWS_REGION", min_length=1)

    @property
    def finished_run_ttl_seconds(self) -> int:
        return self.finished_run_retention_days * 86400


def load_settings() -> Settings:
    """Read the settings from the environment (cheap; read per invocation, never cached at import)."""
    return Settings.model_validate(dict(os.environ))
