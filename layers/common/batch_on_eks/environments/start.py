"""Starting the provision or teardown workflow for a request (``POST /environments``,
``DELETE /environments/{name}``).

Before starting one, the request claims the environment's record for the execution it is about to start
(the same conditional claim the workflow's first step makes, which then finds the record already its own):
so a conflict is detected atomically, here, with a status code, rather than later as a failed execution;
and the record exists (PROVISIONING, DELETING) as soon as the request is accepted, so the ``Location`` it
answers with can be read at once.
"""

from __future__ import annotations

from typing import Any

from batch_on_eks.aws import executions
from batch_on_eks.aws.environments_table import ClaimRefused, EnvironmentStore
from batch_on_eks.environments import records
from batch_on_eks.environments.records import timeline_entry
from batch_on_eks.environments.status import find_environment
from batch_on_eks.errors import EnvironmentBusy, EnvironmentDeleted, EnvironmentExists
from batch_on_eks.models.environment import EnvironmentStatus as Status
from batch_on_eks.models.environment_input import ProvisionInput
from batch_on_eks.settings import Settings
from batch_on_eks.workflows.arns import Workflows
from batch_on_eks.workflows.execution_names import RequestOrigin
from batch_on_eks.workflows.starts import Accepted, earlier_execution, start_once


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


def start_provisioning(
    raw_input: dict[str, Any], origin: RequestOrigin, settings: Settings, workflows: Workflows
) -> Accepted:
    """Start provisioning a new environment, or one whose last provisioning FAILED or that was DELETED.

    EnvironmentExists when it is READY; EnvironmentBusy while another execution provisions or tears it
    down. The execution's input is the request's body as given (the workflow applies the defaults).
    """
    request = ProvisionInput.parse(raw_input, context={"resource_prefix": settings.resource_prefix})
    name = origin.execution_name("provision")
    if origin.idempotency_key is not None:
        earlier = earlier_execution(workflows.provision, name, raw_input)
        if earlier is not None:
            return Accepted(request.name, earlier, started=False)
    store = EnvironmentStore(settings.environments_table)
    records.claim(
        store,
        request.name,
        Status.PROVISIONING,
        executions.execution_arn(workflows.provision, name),
        leave_from=(Status.FAILED, Status.DELETED),
        fields={"namespace": request.namespace},
        refuse=_refusal,
    )
    store.update(request.name, {}, timeline_entry("requested", f"provisioning requested by {origin.caller}"))
    arn, started = start_once(workflows.provision, name, raw_input)
    return Accepted(request.name, arn, started)


def start_teardown(
    name: str,
    origin: RequestOrigin,
    settings: Settings,
    workflows: Workflows,
    poll_interval_seconds: int | None = None,
) -> Accepted:
    """Start tearing the environment down (checks ``poll_interval_seconds`` apart; default: the workflow's).
    A teardown already running is the answer (nothing new starts); EnvironmentDeleted when it is DELETED,
    EnvironmentBusy while it is being provisioned."""
    environment = find_environment(name, settings)
    execution_input: dict[str, Any] = {"name": name}
    if poll_interval_seconds is not None:
        execution_input["pollIntervalSeconds"] = poll_interval_seconds
    execution_name = origin.execution_name("teardown")
    if origin.idempotency_key is not None:
        earlier = earlier_execution(workflows.teardown, execution_name, execution_input)
        if earlier is not None:
            return Accepted(name, earlier, started=False)
    if environment.status is Status.DELETED:
        raise EnvironmentDeleted(f"environment {name!r} is already DELETED", "name")
    holder = environment.execution_arn
    if environment.status is Status.DELETING and holder and executions.is_running(holder):
        return Accepted(name, holder, started=False)
    store = EnvironmentStore(settings.environments_table)
    records.claim(
        store,
        name,
        Status.DELETING,
        executions.execution_arn(workflows.teardown, execution_name),
        leave_from=(Status.READY, Status.FAILED),
        fields={},
        refuse=_refusal,
    )
    store.update(name, {}, timeline_entry("requested", f"teardown requested by {origin.caller}"))
    arn, started = start_once(workflows.teardown, execution_name, execution_input)
    return Accepted(name, arn, started)
