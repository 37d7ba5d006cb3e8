"""CloudWatch Logs log groups (with their retention), CloudWatch alarms and dashboards."""

from __future__ import annotations

from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack


class LogAndAlarmResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::Logs::LogGroup": self.log_group,
            "AWS::CloudWatch::Alarm": self.alarm,
            "AWS::CloudWatch::Dashboard": self.dashboard,
        }

    def log_group(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        logs = self.api.client("logs")
        name = stack.physical_name(logical_id, props.get("LogGroupName"), 512)
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        return DeployedResource(
            logical_id, "AWS::Logs::LogGroup", name, {"Arn": self.api.arn("logs", f"log-group:{name}:*")}
        )

    def alarm(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = stack.physical_name(logical_id, props.get("AlarmName"), 255)
        request = {k: v for k, v in props.items() if k != "AlarmName"}
        self.api.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
        return DeployedResource(
            logical_id, "AWS::CloudWatch::Alarm", name, {"Arn": self.api.arn("cloudwatch", f"alarm:{name}")}
        )

    def dashboard(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = stack.physical_name(logical_id, props.get("DashboardName"), 255)
        self.api.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody=props["DashboardBody"])
        return DeployedResource(logical_id, "AWS::CloudWatch::Dashboard", name)
