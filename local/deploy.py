"""Deploy a (SAM-translated) CloudFormation template into the embedded AWS, resource by resource.

Each supported resource type is created through the real AWS API of the embedded AWS (moto), with the
properties the template gives it, in dependency order. Functions are also registered with the in-process
Lambda runtime, with their handler, environment and asynchronous invocation settings. A type the embedded
AWS does not emulate is listed in :attr:`Stack.not_emulated`, never silently treated as created.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.lambda_runtime import DeployedFunction, InvokeConfig, LambdaRuntime
from local.template import Intrinsics, TranslatedStack, translate


@dataclass
class DeployedResource:
    logical_id: str
    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stack:
    name: str
    translated: TranslatedStack
    resources: dict[str, DeployedResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    not_emulated: dict[str, str] = field(default_factory=dict)

    def ref(self, logical_id: str) -> Any:
        return self.resources[logical_id].ref

    def attribute(self, logical_id: str, name: str) -> Any:
        return self.resources[logical_id].attributes[name]


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "The embedded AWS runs this function's handler in-process from its folder."
        )
    return buffer.getvalue()


class Deployer:
    def __init__(self, runtime: LambdaRuntime, account: str, region: str):
        self.runtime = runtime
        self.account = account
        self.region = region
        self._clients: dict[str, Any] = {}
        self._creators: dict[str, Callable[[Stack, str, dict[str, Any]], DeployedResource]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::IAM::Role": self._role,
            "AWS::IAM::InstanceProfile": self._instance_profile,
            "AWS::Lambda::LayerVersion": self._layer,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::EventInvokeConfig": self._event_invoke_config,
            "AWS::Lambda::Permission": self._permission,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::SNS::Topic": self._topic,
            "AWS::Events::Rule": self._rule,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::CloudWatch::Alarm": self._alarm,
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    # -- the stack ----------------------------------------------------------------------------------------
    def deploy(self, template_path: Path, stack_name: str, parameters: dict[str, str] | None = None) -> Stack:
        translated = translate(template_path, parameters)
        stack = Stack(name=stack_name, translated=translated)
        intrinsics = Intrinsics(
            translated.parameters,
            {
                "AWS::AccountId": self.account,
                "AWS::Region": self.region,
                "AWS::StackName": stack_name,
                "AWS::StackId": self._arn("cloudformation", f"stack/{stack_name}/local"),
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            },
            translated.template.get("Conditions", {}),
        )
        for logical_id in translated.creation_order():
            resource = translated.resources[logical_id]
            if "Condition" in resource and not intrinsics.condition(resource["Condition"]):
                continue
            creator = self._creators.get(resource["Type"])
            if creator is None:
                stack.not_emulated[logical_id] = resource["Type"]
                continue
            properties = intrinsics.resolve(resource.get("Properties", {}))
            deployed = creator(stack, logical_id, properties)
            stack.resources[logical_id] = deployed
            intrinsics.record(logical_id, deployed.ref, deployed.attributes)
        for name, output in translated.template.get("Outputs", {}).items():
            if "Condition" in output and not intrinsics.condition(output["Condition"]):
                continue
            try:
                stack.outputs[name] = intrinsics.resolve(output["Value"])
            except KeyError:
                stack.outputs[name] = None  # refers to a resource type that is not emulated
        return stack

    def _name(self, stack: Stack, logical_id: str, explicit: str | None = None, limit: int = 64) -> str:
        return explicit or f"{stack.name}-{logical_id}"[:limit]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    # -- resource types -----------------------------------------------------------------------------------
    def _table(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = self._name(stack, logical_id, props.get("TableName"), 255)
        dynamodb = self.client("dynamodb")
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

    def _role(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        iam = self.client("iam")
        name = self._name(stack, logical_id, props.get("RoleName"))
        role = iam.create_role(
            RoleName=name,
            Path=props.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
        )["Role"]
        for policy in props.get("Policies", []):
            # SAM's policy templates leave out Version (IAM then assumes 2008-10-17); moto insists on one.
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        for arn in props.get("ManagedPolicyArns", []):
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            except iam.exceptions.NoSuchEntityException:
                # moto knows most, not all, AWS managed policies; the attachment is recorded as a tag instead
                iam.tag_role(
                    RoleName=name,
                    Tags=[{"Key": f"embedded-aws:managed-policy:{arn.rsplit('/', 1)[-1]}", "Value": arn}],
                )
        return DeployedResource(
            logical_id, "AWS::IAM::Role", name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}
        )

    def _instance_profile(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        iam = self.client("iam")
        name = self._name(stack, logical_id, props.get("InstanceProfileName"))
        profile = iam.create_instance_profile(InstanceProfileName=name, Path=props.get("Path", "/"))
        for role in props.get("Roles", []):
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        return DeployedResource(
            logical_id, "AWS::IAM::InstanceProfile", name, {"Arn": profile["InstanceProfile"]["Arn"]}
        )

    def _layer(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        folder = stack.translated.local_path(props["Content"])
        name = self._name(stack, logical_id, props.get("LayerName"))
        arn = self._arn("lambda", f"layer:{name}:1")
        return DeployedResource(logical_id, "AWS::Lambda::LayerVersion", arn, {"LocalPath": str(folder)})

    def _function(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        code_dir = stack.translated.local_path(props["Code"])
        name = self._name(stack, logical_id, props.get("FunctionName"))
        environment = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        layer_paths = []
        for layer_arn in props.get("Layers", []):
            layer = next((r for r in stack.resources.values() if r.ref == layer_arn), None)
            if layer is None:
                raise ValueError(f"{logical_id}: layer {layer_arn} is not part of this stack")
            layer_paths.append(layer.attributes["LocalPath"])
        response = self.client("lambda").create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.12"),
            Role=props["Role"],
            Handler=props["Handler"],
            Code={"ZipFile": _dummy_zip()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": environment},
            Architectures=props.get("Architectures", ["x86_64"]),
            TracingConfig=props.get("TracingConfig", {"Mode": "PassThrough"}),
        )
        self.runtime.add_code_paths(layer_paths)
        function = DeployedFunction(
            logical_id=logical_id,
            name=name,
            arn=response["FunctionArn"],
            code_dir=code_dir,
            handler=props["Handler"],
            environment=environment,
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            role_arn=props["Role"],
        )
        self.runtime.register(function)
        return DeployedResource(logical_id, "AWS::Lambda::Function", name, {"Arn": response["FunctionArn"]})

    def _event_invoke_config(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        function = self.runtime.find(props["FunctionName"])
        if function is None:
            raise ValueError(f"{logical_id}: function {props['FunctionName']} is not part of this stack")
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        function.invoke_config = InvokeConfig(
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", 2)),
            on_failure_destination=on_failure,
        )
        return DeployedResource(logical_id, "AWS::Lambda::EventInvokeConfig", f"{function.name}:$LATEST")

    def _permission(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        # Resource policies are not evaluated by the embedded AWS; the permission is kept for inspection.
        return DeployedResource(logical_id, "AWS::Lambda::Permission", logical_id, {"Properties": props})

    def _queue(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        sqs = self.client("sqs")
        name = self._name(stack, logical_id, props.get("QueueName"), 80)
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
        arn = self._arn("sqs", name)
        return DeployedResource(
            logical_id, "AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url}
        )

    def _queue_policy(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        for url in props.get("Queues", []):
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        return DeployedResource(logical_id, "AWS::SQS::QueuePolicy", logical_id)

    def _topic(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = self._name(stack, logical_id, props.get("TopicName"), 256)
        arn = self.client("sns").create_topic(Name=name)["TopicArn"]
        return DeployedResource(logical_id, "AWS::SNS::Topic", arn, {"TopicName": name, "TopicArn": arn})

    def _rule(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        events = self.client("events")
        name = self._name(stack, logical_id, props.get("Name"))
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

    def _state_machine(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        if "DefinitionS3Location" in props:
            definition = stack.translated.local_path(props["DefinitionS3Location"]).read_text(
                encoding="utf-8"
            )
        elif "DefinitionString" in props:
            definition = props["DefinitionString"]
        else:
            definition = json.dumps(props["Definition"])
        substitutions = props.get("DefinitionSubstitutions", {})
        missing = set(re.findall(r"\$\{([^}]+)\}", definition)) - set(substitutions)
        if missing:
            raise ValueError(f"{logical_id}: DefinitionSubstitutions lack {sorted(missing)}")
        for key, value in substitutions.items():
            definition = definition.replace("${" + key + "}", str(value))
        name = self._name(stack, logical_id, props.get("StateMachineName"), 80)
        arn = self.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=props["RoleArn"],
            type=props.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        return DeployedResource(
            logical_id,
            "AWS::StepFunctions::StateMachine",
            arn,
            {"Name": name, "Arn": arn, "Definition": definition},
        )

    def _log_group(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        logs = self.client("logs")
        name = self._name(stack, logical_id, props.get("LogGroupName"), 512)
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in props:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        return DeployedResource(
            logical_id, "AWS::Logs::LogGroup", name, {"Arn": self._arn("logs", f"log-group:{name}:*")}
        )

    def _alarm(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        name = self._name(stack, logical_id, props.get("AlarmName"), 255)
        request = {k: v for k, v in props.items() if k != "AlarmName"}
        self.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
        return DeployedResource(
            logical_id, "AWS::CloudWatch::Alarm", name, {"Arn": self._arn("cloudwatch", f"alarm:{name}")}
        )
