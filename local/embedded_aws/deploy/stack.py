"""A stack as the embedded AWS deploys it: the translated template, each resource created from it (its
``Ref`` and attributes), the outputs, and what was not emulated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.embedded_aws.deploy.template import TranslatedStack


@dataclass
class DeployedResource:
    logical_id: str
    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomResourceAnswer:
    logical_id: str
    request_type: str
    body: dict[str, Any]  # what the function PUT to the ResponseURL

    @property
    def status(self) -> str:
        return str(self.body.get("Status"))


@dataclass
class Stack:
    name: str
    translated: TranslatedStack
    resources: dict[str, DeployedResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    not_emulated: dict[str, str] = field(default_factory=dict)
    stack_id: str = ""
    status: str = "CREATE_COMPLETE"
    # The deployer's: only it can reach the functions that answer for the custom resources.
    delete_custom_resources: Callable[[Stack, float], list[CustomResourceAnswer]] | None = field(
        default=None, repr=False, compare=False
    )

    def ref(self, logical_id: str) -> Any:
        return self.resources[logical_id].ref

    def attribute(self, logical_id: str, name: str) -> Any:
        return self.resources[logical_id].attributes[name]

    def physical_name(self, logical_id: str, explicit: str | None = None, limit: int = 64) -> str:
        """The resource's name: the one the template gives, else CloudFormation's ``<stack>-<logicalId>``
        cut to the type's limit."""
        return explicit or f"{self.name}-{logical_id}"[:limit]

    def delete(self, bound_seconds: float = 600.0) -> list[CustomResourceAnswer]:
        """Delete the stack's custom resources, last created first, each answered before the next (the
        rest of the stack is not removed: nothing else in the embedded AWS depends on its deletion). Stops
        at the first FAILED answer, as CloudFormation does (status DELETE_FAILED); returns the answers."""
        if self.delete_custom_resources is None:
            raise RuntimeError(f"{self.name} was not deployed by a Deployer")
        return self.delete_custom_resources(self, bound_seconds)


Creator = Callable[[Stack, str, dict[str, Any]], DeployedResource]
