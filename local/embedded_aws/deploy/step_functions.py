"""Step Functions state machines, their definition read from the template's file (or inline) with its
``DefinitionSubstitutions`` filled in; a placeholder left without a substitution fails the deployment."""

from __future__ import annotations

import json
import re
from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack


class StepFunctionsResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {"AWS::StepFunctions::StateMachine": self.state_machine}

    def state_machine(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
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
        name = stack.physical_name(logical_id, props.get("StateMachineName"), 80)
        arn = self.api.client("stepfunctions").create_state_machine(
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
