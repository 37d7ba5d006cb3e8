"""Deploy a (SAM-translated) CloudFormation template into the embedded AWS, resource by resource.

Each supported resource type is created through the real AWS API of the embedded AWS (moto), with the
properties the template gives it, in dependency order. Functions are also registered with the in-process
Lambda runtime, with their handler, environment and asynchronous invocation settings. A type the embedded
AWS does not emulate is listed in :attr:`Stack.not_emulated`, never silently treated as created. The
template's ``Rules`` are checked first, as CloudFormation does: a parameter set they refuse deploys nothing.

AWS's own managed policies exist in every account, but moto 5 loads them only when told to (all ~1,600,
at every reset of its backends): a managed policy a role attaches that moto has not loaded is installed
from moto's bundled copy of it, the one place this module reaches into moto rather than its API. An ARN
moto has no copy of is recorded on the role as a tag ``embedded-aws:managed-policy:<name>`` instead.

Custom resources (``AWS::CloudFormation::CustomResource``, ``Custom::*``) are created as CloudFormation
creates them: their ``ServiceToken`` function is invoked asynchronously with a real Create request (every
property a string, as CloudFormation sends them), and the answer is awaited at the request's ``ResponseURL``,
served locally by :mod:`local.embedded_aws.cfn_responses`; FAILED fails the deployment. The answer's
``PhysicalResourceId`` is the resource's ``Ref`` and its ``Data`` its attributes. :meth:`Stack.delete` sends
the Delete requests, last created first, as ``sam delete`` does, and stops at the first FAILED answer.

One default differs from the template's: :data:`EMBEDDED_PARAMETER_DEFAULTS` (the deploy-time provisioning
of the blueprint is off unless a deployment asks for it: tests and the demo deploy many stacks and provision
what they need themselves).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3

from local.embedded_aws import api_gateway
from local.embedded_aws.cfn_responses import response_server
from local.embedded_aws.lambda_runtime import DeployedFunction, InvokeConfig, LambdaRuntime
from local.embedded_aws.template import Intrinsics, TranslatedStack, load_template, rule_violations, translate


@dataclass
class DeployedResource:
    logical_id: str
    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


# Template parameters whose embedded default differs from the template's (see the module's docstring).
EMBEDDED_PARAMETER_DEFAULTS = {"ProvisionBlueprintOnDeploy": "false"}
# How long a custom resource's function may take to answer a Create (they answer at once, or fail).
CUSTOM_RESOURCE_CREATE_BOUND_SECONDS = 60.0


class CustomResourceFailed(RuntimeError):
    """A custom resource answered FAILED (or not at all): CloudFormation would roll the stack back."""

    def __init__(self, logical_id: str, request_type: str, reason: str, answer: dict[str, Any] | None):
        super().__init__(f"{logical_id}: {request_type} failed: {reason}")
        self.logical_id = logical_id
        self.answer = answer


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
    deployer: Deployer | None = field(default=None, repr=False, compare=False)

    def ref(self, logical_id: str) -> Any:
        return self.resources[logical_id].ref

    def attribute(self, logical_id: str, name: str) -> Any:
        return self.resources[logical_id].attributes[name]

    def delete(self, bound_seconds: float = 600.0) -> list[CustomResourceAnswer]:
        """Delete the stack's custom resources, last created first, each answered before the next (the
        rest of the stack is not removed: nothing else in the embedded AWS depends on its deletion). Stops
        at the first FAILED answer, as CloudFormation does (status DELETE_FAILED); returns the answers."""
        if self.deployer is None:
            raise RuntimeError(f"{self.name} was not deployed by a Deployer")
        return self.deployer.delete_custom_resources(self, bound_seconds)


@cache
def _bundled_aws_managed_policies() -> dict[str, Any]:
    """moto's bundled copy of AWS's managed policies, by name (read once per process)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies: dict[str, Any] = json.loads(aws_managed_policies_data)
    return policies


_CUSTOM = "AWS::CloudFormation::CustomResource"


def _as_cloudformation_sends(value: Any) -> Any:
    """A custom resource's properties as CloudFormation sends them: every scalar a string."""
    if isinstance(value, dict):
        return {key: _as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_cloudformation_sends(item) for item in value]
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


def _tag_specifications(resource_type: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    """CloudFormation ``Tags`` as EC2's ``TagSpecifications`` for ``resource_type`` (none: empty)."""
    tags = props.get("Tags", [])
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def _ip_permission(rule: dict[str, Any], peer: str) -> dict[str, Any]:
    """A CloudFormation security group rule as EC2's ``IpPermission``; ``peer`` is Source or Destination."""
    permission: dict[str, Any] = {"IpProtocol": str(rule["IpProtocol"])}
    for key in ("FromPort", "ToPort"):
        if key in rule:
            permission[key] = int(rule[key])
    description = {"Description": rule["Description"]} if "Description" in rule else {}
    if "CidrIp" in rule:
        permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **description}]
    if "CidrIpv6" in rule:
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **description}]
    if f"{peer}SecurityGroupId" in rule:
        permission["UserIdGroupPairs"] = [{"GroupId": rule[f"{peer}SecurityGroupId"], **description}]
    if f"{peer}PrefixListId" in rule:
        permission["PrefixListIds"] = [{"PrefixListId": rule[f"{peer}PrefixListId"], **description}]
    return permission


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
            "AWS::EC2::VPC": self._vpc,
            "AWS::EC2::FlowLog": self._flow_log,
            "AWS::EC2::Subnet": self._subnet,
            "AWS::EC2::InternetGateway": self._internet_gateway,
            "AWS::EC2::VPCGatewayAttachment": self._gateway_attachment,
            "AWS::EC2::RouteTable": self._route_table,
            "AWS::EC2::Route": self._route,
            "AWS::EC2::SubnetRouteTableAssociation": self._route_table_association,
            "AWS::EC2::EIP": self._eip,
            "AWS::EC2::NatGateway": self._nat_gateway,
            "AWS::EC2::SecurityGroup": self._security_group,
            "AWS::EC2::SecurityGroupIngress": self._security_group_ingress,
            "AWS::EC2::SecurityGroupEgress": self._security_group_egress,
            _CUSTOM: self._custom_resource,
            **api_gateway.creators(region),  # the REST API (local/embedded_aws/api_gateway.py)
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]

    # -- the stack ----------------------------------------------------------------------------------------
    def deploy(self, template_path: Path, stack_name: str, parameters: dict[str, str] | None = None) -> Stack:
        translated = translate(template_path, self._with_embedded_defaults(template_path, parameters))
        stack_id = self._arn("cloudformation", f"stack/{stack_name}/local")
        stack = Stack(name=stack_name, translated=translated, stack_id=stack_id, deployer=self)
        intrinsics = Intrinsics(
            translated.parameters,
            {
                "AWS::AccountId": self.account,
                "AWS::Region": self.region,
                "AWS::StackName": stack_name,
                "AWS::StackId": stack_id,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            },
            translated.template.get("Conditions", {}),
        )
        refused = rule_violations(translated.template, intrinsics)
        if refused:
            raise ValueError(f"{stack_name}: the template's Rules refuse the parameters: {refused}")
        for logical_id in translated.creation_order():
            resource = translated.resources[logical_id]
            if "Condition" in resource and not intrinsics.condition(resource["Condition"]):
                continue
            creator = self._creators.get(resource["Type"])
            if creator is None and resource["Type"].startswith("Custom::"):
                creator = self._custom_resource
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

    @staticmethod
    def _with_embedded_defaults(template_path: Path, parameters: dict[str, str] | None) -> dict[str, str]:
        declared = load_template(template_path).get("Parameters", {})
        defaults = {name: value for name, value in EMBEDDED_PARAMETER_DEFAULTS.items() if name in declared}
        return {**defaults, **(parameters or {})}

    # -- custom resources -----------------------------------------------------------------------------------
    def _custom_resource(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        resource_type = str(stack.translated.resources[logical_id]["Type"])
        request = {
            "RequestType": "Create",
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": _as_cloudformation_sends(props),
        }
        body = self._send_custom_resource_request(stack, props, request, CUSTOM_RESOURCE_CREATE_BOUND_SECONDS)
        if body.get("Status") != "SUCCESS":
            raise CustomResourceFailed(logical_id, "Create", str(body.get("Reason")), body)
        physical_id = str(body.get("PhysicalResourceId") or logical_id)
        attributes = {str(k): v for k, v in (body.get("Data") or {}).items()}
        attributes["__properties__"] = props  # what Delete will be sent (not an attribute CloudFormation has)
        return DeployedResource(logical_id, resource_type, physical_id, attributes)

    def _send_custom_resource_request(
        self, stack: Stack, props: dict[str, Any], request: dict[str, Any], bound_seconds: float
    ) -> dict[str, Any]:
        """Invoke the ServiceToken function as CloudFormation does (asynchronously) and wait for the answer
        at the request's ResponseURL."""
        token = str(props.get("ServiceToken", ""))
        function = self.runtime.find(token)
        if function is None:
            raise ValueError(f"{request['LogicalResourceId']}: ServiceToken {token!r} is not a function here")
        pending = response_server().expect()
        message = {
            **request,
            "ServiceToken": token,
            "ResponseURL": pending.url,
            "StackId": stack.stack_id,
            "RequestId": str(uuid.uuid4()),
        }
        self.runtime.invoke_async(function, json.dumps(message).encode())
        return pending.wait(bound_seconds)

    def delete_custom_resources(self, stack: Stack, bound_seconds: float) -> list[CustomResourceAnswer]:
        answers: list[CustomResourceAnswer] = []
        stack.status = "DELETE_IN_PROGRESS"
        custom = [r for r in stack.resources.values() if r.type.startswith("Custom::") or r.type == _CUSTOM]
        for resource in reversed(custom):
            props = resource.attributes["__properties__"]
            request = {
                "RequestType": "Delete",
                "LogicalResourceId": resource.logical_id,
                "ResourceType": resource.type,
                "PhysicalResourceId": resource.ref,
                "ResourceProperties": _as_cloudformation_sends(props),
            }
            body = self._send_custom_resource_request(stack, props, request, bound_seconds)
            answers.append(CustomResourceAnswer(resource.logical_id, "Delete", body))
            if body.get("Status") != "SUCCESS":
                stack.status = "DELETE_FAILED"
                return answers
            del stack.resources[resource.logical_id]
        stack.status = "DELETE_COMPLETE"
        return answers

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
            **({"Description": props["Description"]} if "Description" in props else {}),
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
                if self._install_aws_managed_policy(arn):
                    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
                    continue
                # moto has no copy of this managed policy: the attachment is recorded as a tag instead
                iam.tag_role(
                    RoleName=name,
                    Tags=[{"Key": f"embedded-aws:managed-policy:{arn.rsplit('/', 1)[-1]}", "Value": arn}],
                )
        return DeployedResource(
            logical_id, "AWS::IAM::Role", name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}
        )

    def _install_aws_managed_policy(self, arn: str) -> bool:
        """Install the AWS managed policy ``arn`` in moto's IAM from moto's bundled copy; False if none."""
        from moto.iam.models import AWSManagedPolicy, iam_backends

        match = re.fullmatch(r"arn:(aws[a-z-]*):iam::aws:policy(/(?:.*/)?)([^/]+)", arn)
        data = _bundled_aws_managed_policies().get(match.group(3)) if match else None
        if match is None or data is None or data.get("Path", "/") != match.group(2):
            return False
        backend = iam_backends[self.account][match.group(1)]
        policy = AWSManagedPolicy.from_data(match.group(3), self.account, self.region, data)
        backend.managed_policies[policy.arn] = policy
        return bool(policy.arn == arn)

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

    # -- the network ----------------------------------------------------------------------------------------
    def _vpc(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(
            CidrBlock=props["CidrBlock"],
            InstanceTenancy=props.get("InstanceTenancy", "default"),
            TagSpecifications=_tag_specifications("vpc", props),
        )["Vpc"]
        vpc_id = vpc["VpcId"]
        for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
            if attribute in props:  # one attribute per call, as EC2 requires
                ec2.modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": bool(props[attribute])}})
        default_group = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"]
        default_acl = ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
        )["NetworkAcls"]
        attributes = {
            "VpcId": vpc_id,
            "CidrBlock": vpc["CidrBlock"],
            "DefaultSecurityGroup": default_group[0]["GroupId"] if default_group else None,
            "DefaultNetworkAcl": default_acl[0]["NetworkAclId"] if default_acl else None,
        }
        return DeployedResource(logical_id, "AWS::EC2::VPC", vpc_id, attributes)

    def _flow_log(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request: dict[str, Any] = {
            "ResourceIds": [props["ResourceId"]],
            "ResourceType": props["ResourceType"],
            "TrafficType": props.get("TrafficType", "ALL"),
            "LogDestinationType": props.get("LogDestinationType", "cloud-watch-logs"),
            "TagSpecifications": _tag_specifications("vpc-flow-log", props),
        }
        for key in ("LogGroupName", "LogDestination", "DeliverLogsPermissionArn", "LogFormat"):
            if key in props:
                request[key] = props[key]
        response = self.client("ec2").create_flow_logs(**request)
        if response.get("Unsuccessful"):
            raise ValueError(f"{logical_id}: CreateFlowLogs refused: {response['Unsuccessful']}")
        flow_log_id = response["FlowLogIds"][0]
        return DeployedResource(logical_id, "AWS::EC2::FlowLog", flow_log_id, {"Id": flow_log_id})

    def _subnet(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.client("ec2")
        request: dict[str, Any] = {
            "VpcId": props["VpcId"],
            "CidrBlock": props["CidrBlock"],
            "TagSpecifications": _tag_specifications("subnet", props),
        }
        for key in ("AvailabilityZone", "AvailabilityZoneId"):
            if key in props:
                request[key] = props[key]
        subnet = ec2.create_subnet(**request)["Subnet"]
        if "MapPublicIpOnLaunch" in props:
            ec2.modify_subnet_attribute(
                SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": bool(props["MapPublicIpOnLaunch"])}
            )
        attributes = {
            "SubnetId": subnet["SubnetId"],
            "VpcId": subnet["VpcId"],
            "AvailabilityZone": subnet["AvailabilityZone"],
            "AvailabilityZoneId": subnet.get("AvailabilityZoneId"),
            "CidrBlock": subnet["CidrBlock"],
        }
        return DeployedResource(logical_id, "AWS::EC2::Subnet", subnet["SubnetId"], attributes)

    def _internet_gateway(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        gateway = self.client("ec2").create_internet_gateway(
            TagSpecifications=_tag_specifications("internet-gateway", props)
        )["InternetGateway"]
        gateway_id = gateway["InternetGatewayId"]
        return DeployedResource(
            logical_id, "AWS::EC2::InternetGateway", gateway_id, {"InternetGatewayId": gateway_id}
        )

    def _gateway_attachment(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        if "InternetGatewayId" not in props:
            raise ValueError(f"{logical_id}: only internet gateways are emulated (no VpnGatewayId)")
        self.client("ec2").attach_internet_gateway(
            InternetGatewayId=props["InternetGatewayId"], VpcId=props["VpcId"]
        )
        ref = f"IGW|{props['VpcId']}"  # CloudFormation's physical id of an attachment
        return DeployedResource(logical_id, "AWS::EC2::VPCGatewayAttachment", ref)

    def _route_table(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        table = self.client("ec2").create_route_table(
            VpcId=props["VpcId"], TagSpecifications=_tag_specifications("route-table", props)
        )["RouteTable"]
        table_id = table["RouteTableId"]
        return DeployedResource(logical_id, "AWS::EC2::RouteTable", table_id, {"RouteTableId": table_id})

    def _route(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request = {key: value for key, value in props.items() if key != "Tags"}
        response = self.client("ec2").create_route(**request)
        if not response.get("Return", True):
            raise ValueError(f"{logical_id}: CreateRoute refused")
        destination = props.get("DestinationCidrBlock") or props.get("DestinationIpv6CidrBlock")
        ref = f"{props['RouteTableId']}|{destination}"  # CloudFormation's physical id of a route
        return DeployedResource(logical_id, "AWS::EC2::Route", ref)

    def _route_table_association(
        self, stack: Stack, logical_id: str, props: dict[str, Any]
    ) -> DeployedResource:
        association_id = self.client("ec2").associate_route_table(
            RouteTableId=props["RouteTableId"], SubnetId=props["SubnetId"]
        )["AssociationId"]
        return DeployedResource(
            logical_id, "AWS::EC2::SubnetRouteTableAssociation", association_id, {"Id": association_id}
        )

    def _eip(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.client("ec2")
        address = ec2.allocate_address(Domain=props.get("Domain", "vpc"))
        if props.get("Tags"):
            ec2.create_tags(Resources=[address["AllocationId"]], Tags=props["Tags"])
        attributes = {"AllocationId": address["AllocationId"], "PublicIp": address["PublicIp"]}
        return DeployedResource(logical_id, "AWS::EC2::EIP", address["PublicIp"], attributes)

    def _nat_gateway(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request: dict[str, Any] = {
            "SubnetId": props["SubnetId"],
            "ConnectivityType": props.get("ConnectivityType", "public"),
            "TagSpecifications": _tag_specifications("natgateway", props),
        }
        if "AllocationId" in props:
            request["AllocationId"] = props["AllocationId"]
        gateway = self.client("ec2").create_nat_gateway(**request)["NatGateway"]
        gateway_id = gateway["NatGatewayId"]
        return DeployedResource(logical_id, "AWS::EC2::NatGateway", gateway_id, {"NatGatewayId": gateway_id})

    def _security_group(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.client("ec2")
        request: dict[str, Any] = {
            "GroupName": self._name(stack, logical_id, props.get("GroupName"), 255),
            "Description": props["GroupDescription"],
            "TagSpecifications": _tag_specifications("security-group", props),
        }
        if "VpcId" in props:
            request["VpcId"] = props["VpcId"]
        group_id = ec2.create_security_group(**request)["GroupId"]
        if "SecurityGroupEgress" in props:
            # As CloudFormation does: the given egress rules replace the default allow-all rule.
            ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            egress = [_ip_permission(rule, "Destination") for rule in props["SecurityGroupEgress"]]
            if egress:
                ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=egress)
        ingress = [_ip_permission(rule, "Source") for rule in props.get("SecurityGroupIngress", [])]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        attributes = {"GroupId": group_id, "VpcId": group.get("VpcId")}
        return DeployedResource(logical_id, "AWS::EC2::SecurityGroup", group_id, attributes)

    def _security_group_ingress(
        self, stack: Stack, logical_id: str, props: dict[str, Any]
    ) -> DeployedResource:
        response = self.client("ec2").authorize_security_group_ingress(
            GroupId=props["GroupId"], IpPermissions=[_ip_permission(props, "Source")]
        )
        rules = response.get("SecurityGroupRules") or [{}]
        rule_id = rules[0].get("SecurityGroupRuleId", logical_id)
        return DeployedResource(logical_id, "AWS::EC2::SecurityGroupIngress", rule_id, {"Id": rule_id})

    def _security_group_egress(
        self, stack: Stack, logical_id: str, props: dict[str, Any]
    ) -> DeployedResource:
        response = self.client("ec2").authorize_security_group_egress(
            GroupId=props["GroupId"], IpPermissions=[_ip_permission(props, "Destination")]
        )
        rules = response.get("SecurityGroupRules") or [{}]
        rule_id = rules[0].get("SecurityGroupRuleId", logical_id)
        return DeployedResource(logical_id, "AWS::EC2::SecurityGroupEgress", rule_id, {"Id": rule_id})
