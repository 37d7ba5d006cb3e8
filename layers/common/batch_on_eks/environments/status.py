"""An environment as people read it (``GET /environments``, ``GET /environments/{name}``)."""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws.environments_table import EnvironmentStore
from batch_on_eks.errors import EnvironmentNotFound
from batch_on_eks.models.environment import Environment
from batch_on_eks.models.page import Page
from batch_on_eks.settings import Settings

# What reading an environment shows (by JSON name): the record less the workflows' own bookkeeping
# (resources) and its claim's time.
_SHOWN = {
    "name",
    "status",
    "namespace",
    "executionArn",
    "clusterArn",
    "jobQueues",
    "outputs",
    "failure",
    "timeline",
    "rollbackExecutionArn",
}


def find_environment(name: str, settings: Settings) -> Environment:
    """The environment's record; EnvironmentNotFound (on ``name``) when there is none."""
    found = EnvironmentStore(settings.environments_table).find(name, settings.resource_prefix)
    if found is None:
        raise EnvironmentNotFound(f"no environment named {name!r}", "name")
    return found


def environment_status(name: str, settings: Settings) -> dict[str, Any]:
    """The environment as its record has it: status, timeline, outputs, failure (those it has: no None
    values). EnvironmentNotFound."""
    written = find_environment(name, settings).to_dict()
    return {key: value for key, value in written.items() if key in _SHOWN}


def environments_page(limit: int, next_token: str | None, settings: Settings) -> Page[dict[str, Any]]:
    """A page of environments (name, status, namespace, cluster, execution) and the next page's token."""
    page = EnvironmentStore(settings.environments_table).page(limit, next_token)
    shown = [
        {
            "name": summary.name,
            "status": summary.status.value,
            "namespace": summary.namespace,
            "clusterArn": summary.cluster_arn,
            "executionArn": summary.execution_arn,
        }
        for summary in page.items
    ]
    return Page(shown, page.next_token)
