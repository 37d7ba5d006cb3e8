"""Requests about environments (the REST API's ``/environments``): provision, list, read, tear down.

Provisioning and teardown run as workflows. Before starting one, the request claims the environment's record
for the execution it is about to start (the same conditional claim the workflow's first step makes, which
then finds the record already its own): so a conflict is detected atomically, here, with a status code,
rather than later as a failed execution; and the record exists (PROVISIONING, DELETING) as soon as the
request is accepted, so the ``Location`` it answers with can be read at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from batch_on_eks.aws import executions, page_tokens, record_pages
from batch_on_eks.aws.environments_table import ClaimRefused, EnvironmentStore
from batch_on_eks.aws.items import plain
from batch_on_eks.environments import records as environment_records
from batch_on_eks.environments.records import timeline_entry
from batch_on_eks.errors import InvalidInput
from batch_on_eks.models.environment import EnvironmentStatus as Status
from batch_on_eks.models.environment_input import ProvisionInput
from batch_on_eks.models.run_input import validation_errors
from batch_on_eks.request_errors import (
    EnvironmentBusy,
    EnvironmentDeleted,
    EnvironmentExists,
    EnvironmentNotFound,
)
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin
from batch_on_eks.workflows.starts import Accepted, earlier_execution, start_once

# What reading an environment shows: the record less the workflow's own bookkeeping (resources, settings).
_SHOWN = (
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
)


def _refusal(name: str, refused: ClaimRefused) -> Exception:
    """Why a request may not claim the environment, as the API answers it (409)."""
    if refused.status == Status.READY.value:
        return EnvironmentExists(
            f"environment {name!r} exists and is READY: tear it down first, or choose another name", "name"
        )
    if refused.status == Status.DELETED.value:
        return EnvironmentDeleted(f"environment {name!r} is already DELETED", "name")
    return EnvironmentBusy(
        f"environment {name!r} is {refused.status}, held by the running execution "
        f"{refused.execution_arn}: wait for it to end",
        "name",
    )


class EnvironmentRequests:
    def __init__(self, settings: Settings, workflows: Workflows):
        self.settings = settings
        self.workflows = workflows
        self.store = EnvironmentStore(settings.environments_table)

    # -- provision ------------------------------------------------------------------------------------------
    def provision(self, raw_input: dict[str, Any], origin: RequestOrigin) -> Accepted:
        """Start provisioning a new environment, or one whose last provisioning FAILED or that was DELETED.

        EnvironmentExists when it is READY; EnvironmentBusy while another execution provisions or tears it
        down. The execution's input is the request's body as given (the workflow applies the defaults).
        """
        try:
            request = ProvisionInput.model_validate(
                raw_input, context={"resource_prefix": self.settings.resource_prefix}
            )
        except ValidationError as error:
            raise InvalidInput(validation_errors(error)) from None
        name = origin.execution_name("provision")
        if origin.idempotency_key is not None:
            earlier = earlier_execution(self.workflows.provision, name, raw_input)
            if earlier is not None:
                return Accepted(request.name, earlier, started=False)
        arn = executions.execution_arn(self.workflows.provision, name)
        environment_records.claim(
            self.store,
            request.name,
            Status.PROVISIONING,
            arn,
            leave_from=(Status.FAILED, Status.DELETED),
            fields={"namespace": request.namespace},
            refuse=_refusal,
        )
        self.store.update(
            request.name, {}, timeline_entry("requested", f"provisioning requested by {origin.caller}")
        )
        arn, started = start_once(self.workflows.provision, name, raw_input)
        return Accepted(request.name, arn, started)

    # -- tear down ------------------------------------------------------------------------------------------
    def teardown(self, name: str, origin: RequestOrigin) -> Accepted:
        """Start tearing the environment down. A teardown already running is the answer (nothing new
        starts); EnvironmentDeleted when it is DELETED, EnvironmentBusy while it is being provisioned."""
        item = self._item(name)
        execution_input = {"name": name}
        execution_name = origin.execution_name("teardown")
        if origin.idempotency_key is not None:
            earlier = earlier_execution(self.workflows.teardown, execution_name, execution_input)
            if earlier is not None:
                return Accepted(name, earlier, started=False)
        status = item.get("status")
        if status == Status.DELETED.value:
            raise EnvironmentDeleted(f"environment {name!r} is already DELETED", "name")
        holder = item.get("executionArn")
        if status == Status.DELETING.value and holder and executions.is_running(holder):
            return Accepted(name, str(holder), started=False)
        arn = executions.execution_arn(self.workflows.teardown, execution_name)
        environment_records.claim(
            self.store,
            name,
            Status.DELETING,
            arn,
            leave_from=(Status.READY, Status.FAILED),
            fields={},
            refuse=_refusal,
        )
        self.store.update(name, {}, timeline_entry("requested", f"teardown requested by {origin.caller}"))
        arn, started = start_once(self.workflows.teardown, execution_name, execution_input)
        return Accepted(name, arn, started)

    # -- read -----------------------------------------------------------------------------------------------
    def _item(self, name: str) -> dict[str, Any]:
        item = self.store.get_item(name) if name.startswith(f"{self.settings.resource_prefix}-") else None
        if item is None:
            raise EnvironmentNotFound(f"no environment named {name!r}", "name")
        return dict(plain(item))

    def get(self, name: str) -> dict[str, Any]:
        """The environment as its record has it: status, timeline, outputs, failure. EnvironmentNotFound."""
        item = self._item(name)
        return {key: item.get(key) for key in _SHOWN}

    def list(self, limit: int, next_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """A page of environments (name, status, namespace, cluster, execution) and the next page's token."""
        start_key = page_tokens.decode(next_token, {"name": lambda _value: True})
        items, last_key = record_pages.environments(self.settings.environments_table, limit, start_key)
        shown = ("name", "status", "namespace", "clusterArn", "executionArn")
        return [{key: item.get(key) for key in shown} for item in items], page_tokens.encode(last_key)
