"""Deploy a (SAM-translated) CloudFormation template into the embedded AWS, resource by resource.

Each supported resource type is created through the real AWS API of the embedded AWS (moto), with the
properties the template gives it, in dependency order; one module per group of types says how. A type the
embedded AWS does not emulate is listed in :attr:`Stack.not_emulated`, never silently treated as created.
The template's ``Rules`` are checked first, as CloudFormation does: a parameter set they refuse deploys
nothing.

One default differs from the template's: :data:`EMBEDDED_PARAMETER_DEFAULTS` (the deploy-time provisioning
of the blueprint is off unless a deployment asks for it: tests and the demo deploy many stacks and provision
what they need themselves).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from local.embedded_aws.deploy.account import AccountApi
from local.embedded_aws.deploy.api_gateway import ApiGatewayResources
from local.embedded_aws.deploy.custom_resources import CustomResources, is_custom
from local.embedded_aws.deploy.events import EventResources
from local.embedded_aws.deploy.iam import IamResources
from local.embedded_aws.deploy.lambda_functions import LambdaResources
from local.embedded_aws.deploy.logs_and_alarms import LogAndAlarmResources
from local.embedded_aws.deploy.network import NetworkResources
from local.embedded_aws.deploy.stack import Creator, Stack
from local.embedded_aws.deploy.step_functions import StepFunctionsResources
from local.embedded_aws.deploy.tables_queues_topics import TableQueueTopicResources
from local.embedded_aws.deploy.template import Intrinsics, load_template, rule_violations, translate
from local.embedded_aws.lambda_runtime import LambdaRuntime

# Template parameters whose embedded default differs from the template's (see the module's docstring).
EMBEDDED_PARAMETER_DEFAULTS = {"ProvisionBlueprintOnDeploy": "false"}


class Deployer:
    def __init__(self, runtime: LambdaRuntime, account: str, region: str):
        self.api = AccountApi(account, region)
        self.custom_resources = CustomResources(runtime)
        self._creators: dict[str, Creator] = {}
        for group in (
            IamResources(self.api),
            LambdaResources(self.api, runtime),
            EventResources(self.api),
            StepFunctionsResources(self.api),
            ApiGatewayResources(self.api),
            TableQueueTopicResources(self.api),
            LogAndAlarmResources(self.api),
            NetworkResources(self.api),
        ):
            self._creators.update(group.creators())

    def _creator(self, resource_type: str) -> Creator | None:
        if is_custom(resource_type):
            return self.custom_resources.create
        return self._creators.get(resource_type)

    def deploy(self, template_path: Path, stack_name: str, parameters: dict[str, str] | None = None) -> Stack:
        translated = translate(template_path, self._with_embedded_defaults(template_path, parameters))
        stack_id = self.api.arn("cloudformation", f"stack/{stack_name}/local")
        stack = Stack(
            name=stack_name,
            translated=translated,
            stack_id=stack_id,
            delete_custom_resources=self.custom_resources.delete,
        )
        intrinsics = Intrinsics(
            translated.parameters,
            {
                "AWS::AccountId": self.api.account,
                "AWS::Region": self.api.region,
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
            creator = self._creator(resource["Type"])
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
        self._answer_describe_stacks(stack, translated.template.get("Outputs", {}))
        return stack

    def _answer_describe_stacks(self, stack: Stack, declared: dict[str, dict[str, object]]) -> None:
        """CloudFormation's DescribeStacks answers the stack's outputs, as a client of a deployed stack reads
        them: moto's CloudFormation holds a stand-in stack of that name with those outputs only (its resources
        were created above, not by moto's CloudFormation, which emulates few of their types)."""
        outputs = {
            name: {"Value": str(value), "Description": str(declared[name].get("Description", ""))}
            for name, value in stack.outputs.items()
            if value is not None
        }
        stand_in = {
            "Resources": {"Deployed": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": outputs,
        }
        with warnings.catch_warnings():  # moto warns that it creates nothing for the stand-in's resource
            warnings.simplefilter("ignore")
            self.api.client("cloudformation").create_stack(
                StackName=stack.name, TemplateBody=json.dumps(stand_in)
            )

    @staticmethod
    def _with_embedded_defaults(template_path: Path, parameters: dict[str, str] | None) -> dict[str, str]:
        declared = load_template(template_path).get("Parameters", {})
        defaults = {name: value for name, value in EMBEDDED_PARAMETER_DEFAULTS.items() if name in declared}
        return {**defaults, **(parameters or {})}
