"""DynamoDB tables (with their TTL and point-in-time recovery), SQS queues and queue policies, SNS topics
and their subscriptions."""

from __future__ import annotations

import json
from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack


class TableQueueTopicResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::DynamoDB::Table": self.table,
            "AWS::SQS::Queue": self.queue,
            "AWS::SQS::QueuePolicy": self.queue_policy,
            "AWS::SNS::Topic": self.topic,
            "AWS::SNS::Subscription": self.subscription,
        }

    def table(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = stack.physical_name(logical_id, props.get("TableName"), 255)
        dynamodb = self.api.client("dynamodb")
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in (
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "ProvisionedThroughput",
            "StreamSpecification",
        ):
            if key in props:
                request[key] = props[key]
        sse = props.get("SSESpecification")
        if sse:
            request["SSESpecification"] = {
                "Enabled": bool(sse.get("SSEEnabled")),
                **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            }
        response = dynamodb.create_table(**request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr:
            dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
        return DeployedResource(logical_id, "AWS::DynamoDB::Table", name, {"Arn": response["TableArn"]})

    def queue(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        sqs = self.api.client("sqs")
        name = stack.physical_name(logical_id, props.get("QueueName"), 80)
        attributes = {
            key: json.dumps(value)
            if isinstance(value, dict)
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
            for key, value in props.items()
            if key not in ("QueueName", "Tags")
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.api.arn("sqs", name)
        return DeployedResource(
            logical_id, "AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url}
        )

    def queue_policy(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        for url in props.get("Queues", []):
            self.api.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        return DeployedResource(logical_id, "AWS::SQS::QueuePolicy", logical_id)

    def topic(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = stack.physical_name(logical_id, props.get("TopicName"), 256)
        arn = self.api.client("sns").create_topic(Name=name)["TopicArn"]
        return DeployedResource(logical_id, "AWS::SNS::Topic", arn, {"TopicName": name, "TopicArn": arn})

    def subscription(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        arn = self.api.client("sns").subscribe(
            TopicArn=props["TopicArn"], Protocol=props["Protocol"], Endpoint=props["Endpoint"]
        )["SubscriptionArn"]
        return DeployedResource(logical_id, "AWS::SNS::Subscription", arn)
