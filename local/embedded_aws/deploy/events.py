"""EventBridge rules and their targets (the embedded event bus delivers to them)."""

from __future__ import annotations

import json
from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack


class EventResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {"AWS::Events::Rule": self.rule}

    def rule(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        events = self.api.client("events")
        name = stack.physical_name(logical_id, props.get("Name"))
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        if "EventPattern" in props:
            request["EventPattern"] = json.dumps(props["EventPattern"])
        if "ScheduleExpression" in props:
            request["ScheduleExpression"] = props["ScheduleExpression"]
        if "EventBusName" in props:
            request["EventBusName"] = props["EventBusName"]
        arn = events.put_rule(**request)["RuleArn"]
        targets = props.get("Targets", [])
        if targets:
            events.put_targets(Rule=name, EventBusName=props.get("EventBusName", "default"), Targets=targets)
        return DeployedResource(logical_id, "AWS::Events::Rule", name, {"Arn": arn})
