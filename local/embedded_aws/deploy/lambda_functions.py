"""Lambda layers, functions, their asynchronous invocation settings and permissions. A function is created
in moto's Lambda (with a placeholder package) and registered with the in-process runtime, which runs its
handler from its folder, with the template's environment; a layer's folder becomes importable."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from local.embedded_aws.deploy.account import AccountApi, ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack
from local.embedded_aws.lambda_runtime import DeployedFunction, InvokeConfig, LambdaRuntime


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "The embedded AWS runs this function's handler in-process from its folder."
        )
    return buffer.getvalue()


class LambdaResources(ResourceTypes):
    def __init__(self, api: AccountApi, runtime: LambdaRuntime):
        super().__init__(api)
        self.runtime = runtime

    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::Lambda::LayerVersion": self.layer,
            "AWS::Lambda::Function": self.function,
            "AWS::Lambda::EventInvokeConfig": self.event_invoke_config,
            "AWS::Lambda::Permission": self.permission,
        }

    def layer(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        folder = stack.translated.local_path(props["Content"])
        name = stack.physical_name(logical_id, props.get("LayerName"))
        arn = self.api.arn("lambda", f"layer:{name}:1")
        return DeployedResource(logical_id, "AWS::Lambda::LayerVersion", arn, {"LocalPath": str(folder)})

    def function(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        code_dir = stack.translated.local_path(props["Code"])
        name = stack.physical_name(logical_id, props.get("FunctionName"))
        environment = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        layer_paths = []
        for layer_arn in props.get("Layers", []):
            layer = next((r for r in stack.resources.values() if r.ref == layer_arn), None)
            if layer is None:
                raise ValueError(f"{logical_id}: layer {layer_arn} is not part of this stack")
            layer_paths.append(layer.attributes["LocalPath"])
        response = self.api.client("lambda").create_function(
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

    def event_invoke_config(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        function = self.runtime.find(props["FunctionName"])
        if function is None:
            raise ValueError(f"{logical_id}: function {props['FunctionName']} is not part of this stack")
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        function.invoke_config = InvokeConfig(
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", 2)),
            on_failure_destination=on_failure,
        )
        return DeployedResource(logical_id, "AWS::Lambda::EventInvokeConfig", f"{function.name}:$LATEST")

    def permission(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        # Resource policies are not evaluated by the embedded AWS; the permission is kept for inspection.
        return DeployedResource(logical_id, "AWS::Lambda::Permission", logical_id, {"Properties": props})
