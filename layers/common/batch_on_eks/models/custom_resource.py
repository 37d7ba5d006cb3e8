"""CloudFormation's custom resource protocol: the request a custom resource's function receives, and the
response it must PUT to the request's presigned ``ResponseURL``.

CloudFormation waits for that response (up to the resource's ``ServiceTimeout``, one hour at most) and
never reads the function's return value, so every request must end in exactly one response, SUCCESS or
FAILED, whatever happens. The names are CloudFormation's (PascalCase), not this package's camelCase.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# CloudFormation refuses a response body over 4096 bytes; the reason is what grows, so it is bounded.
MAX_REASON_CHARACTERS = 2000


class RequestType(StrEnum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"


class CustomResourceRequest(BaseModel):
    """What CloudFormation sends on Create, Update and Delete (fields it may add later are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_type: RequestType = Field(alias="RequestType")
    response_url: str = Field(alias="ResponseURL", min_length=1)
    stack_id: str = Field(alias="StackId")
    request_id: str = Field(alias="RequestId")
    resource_type: str = Field(alias="ResourceType")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    physical_resource_id: str | None = Field(default=None, alias="PhysicalResourceId")
    resource_properties: dict[str, Any] = Field(default_factory=dict, alias="ResourceProperties")
    old_resource_properties: dict[str, Any] | None = Field(default=None, alias="OldResourceProperties")

    def prop(self, name: str, default: Any = None) -> Any:
        """One of the resource's properties (CloudFormation passes every value as a string)."""
        return self.resource_properties.get(name, default)

    def response(
        self,
        status: Literal["SUCCESS", "FAILED"],
        physical_resource_id: str,
        reason: str = "",
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The response body. ``Reason`` is what CloudFormation shows in the stack's events on FAILED."""
        if len(reason) > MAX_REASON_CHARACTERS:
            reason = reason[: MAX_REASON_CHARACTERS - 3] + "..."
        body: dict[str, Any] = {
            "Status": status,
            "Reason": reason or status,
            "PhysicalResourceId": physical_resource_id,
            "StackId": self.stack_id,
            "RequestId": self.request_id,
            "LogicalResourceId": self.logical_resource_id,
            "NoEcho": False,
        }
        if data:
            body["Data"] = data
        return body

    def to_state(self) -> dict[str, Any]:
        """What a later step needs to answer this request (a workflow carries it in its input)."""
        return self.model_dump(by_alias=True, exclude={"resource_properties", "old_resource_properties"})
