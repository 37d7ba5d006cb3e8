"""Read a SAM template the way CloudFormation would: short tags, the SAM transform, intrinsic functions.

The embedded AWS deploys ``template.yaml`` itself (no second, hand-written copy of the stack): SAM's own
translator (``samtranslator``, the library behind ``sam deploy``) turns the SAM resources into plain
CloudFormation, and :class:`Intrinsics` resolves ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and friends against the
resources created so far.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

# Local code locations (CodeUri, ContentUri, DefinitionUri) are swapped for S3 URIs under this bucket
# before SAM's translator runs (it only accepts S3), and mapped back to folders when deploying.
LOCAL_CODE_BUCKET = "embedded-aws-local-code"

PSEUDO_ACCOUNT = "AWS::AccountId"
_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "Join",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Select",
            "Split",
            "FindInMap",
            "Base64",
            "GetAZs",
            "ImportValue",
            "Cidr",
            "Length",
            "ToJsonString",
            # the functions of a template's Rules that Intrinsics evaluates
            "Contains",
            "EachMemberEquals",
            "EachMemberIn",
        )
    },
}


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short tags (``!Ref x``) into their long form."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get(tag_suffix)
    if name is None:
        raise yaml.constructor.ConstructorError(None, None, f"unknown tag !{tag_suffix}", node.start_mark)
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def parse_yaml(text: str) -> Any:
    """Parse CloudFormation YAML (or JSON), short tags turned into their long form."""
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def load_template(path: Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM template (YAML or JSON) with short tags expanded."""
    loaded = parse_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise ValueError(f"{path}: not a CloudFormation template (no Resources)")
    return loaded


def is_list_parameter(spec: Mapping[str, Any]) -> bool:
    """A ``CommaDelimitedList`` or ``List<...>`` parameter: ``Ref`` gives a list."""
    kind = str(spec.get("Type", "String"))
    return kind == "CommaDelimitedList" or kind.startswith("List<")


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """The stack's parameter values: template defaults, then the overrides; a missing one is an error.

    A list parameter's value is a list, as ``Ref`` gives it: its comma-separated text split at the commas
    (an empty text is ``[""]``, as in CloudFormation). Its ``AllowedPattern`` applies to each member.
    """
    declared: Mapping[str, Any] = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise ValueError(f"unknown template parameters: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            values[name] = overrides[name]
        elif "Default" in spec:
            values[name] = spec["Default"]
        else:
            raise ValueError(f"template parameter {name} has no default and no value was given")
        if is_list_parameter(spec) and not isinstance(values[name], list):
            values[name] = [item.strip() for item in str(values[name]).split(",")]
        members = values[name] if isinstance(values[name], list) else [values[name]]
        pattern = spec.get("AllowedPattern")
        for member in members:
            if pattern and not re.fullmatch(pattern, str(member)):
                raise ValueError(f"template parameter {name}={member!r} does not match {pattern}")
        if "AllowedValues" in spec and any(member not in spec["AllowedValues"] for member in members):
            raise ValueError(f"template parameter {name}={values[name]!r} not in {spec['AllowedValues']}")
    return values


def rule_violations(template: Mapping[str, Any], intrinsics: Intrinsics) -> list[str]:
    """What the template's ``Rules`` refuse about the parameter values (each failed assertion's
    description), as CloudFormation checks them before it creates anything."""
    found: list[str] = []
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not intrinsics.resolve(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not intrinsics.resolve(assertion["Assert"]):
                found.append(f"{name}: {assertion.get('AssertDescription', 'assertion failed')}")
    return found


def _localise_code_uris(template: dict[str, Any], root: Path) -> dict[str, Path]:
    """Swap local code paths for placeholder S3 URIs; return placeholder key -> local folder or file."""
    local_paths: dict[str, Path] = {}
    uri_properties = {
        "AWS::Serverless::Function": "CodeUri",
        "AWS::Serverless::LayerVersion": "ContentUri",
        "AWS::Serverless::StateMachine": "DefinitionUri",
        "AWS::Serverless::Api": "DefinitionUri",
    }
    globals_function = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in template["Resources"].items():
        prop = uri_properties.get(resource.get("Type", ""))
        if prop is None:
            continue
        properties = resource.setdefault("Properties", {})
        value = properties.get(prop)
        if value is None and prop == "CodeUri":
            value = globals_function.get("CodeUri")
        if isinstance(value, str) and not value.startswith("s3://"):
            key = f"{logical_id}/{value}"
            local_paths[key] = (root / value).resolve()
            properties[prop] = f"s3://{LOCAL_CODE_BUCKET}/{key}"
    return local_paths


class _PolicyMap:
    """AWS managed policy names -> ARNs for SAM's translator, from the list that ships with it."""

    def load(self) -> dict[str, str]:
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

        return dict(get_bundled_managed_policy_map("aws") or {})


def translate(template_path: Path, overrides: Mapping[str, str] | None = None) -> TranslatedStack:
    """Apply the SAM transform to ``template_path`` and return plain CloudFormation plus local code paths."""
    from samtranslator.translator.transform import transform

    # SAM's translator counts its work for SAM's own telemetry and warns that nobody published the count.
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)

    sam_template = load_template(template_path)
    values = parameter_values(sam_template, overrides or {})
    working = copy.deepcopy(sam_template)
    local_paths = _localise_code_uris(working, template_path.parent)
    cfn = transform(working, dict(values), _PolicyMap())
    return TranslatedStack(template=cfn, parameters=values, local_paths=local_paths)


class TranslatedStack:
    """A template after the SAM transform: its resources, parameter values and local code locations."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any], local_paths: dict[str, Path]):
        self.template = template
        self.parameters = parameters
        self.local_paths = local_paths

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template["Resources"]
        return resources

    def local_path(self, s3_location: Mapping[str, Any] | str) -> Path:
        """The local folder/file behind a placeholder S3 location written by the translator."""
        if isinstance(s3_location, str):
            key = s3_location.removeprefix(f"s3://{LOCAL_CODE_BUCKET}/")
        else:
            key = str(s3_location.get("Key") or s3_location.get("S3Key"))
        return self.local_paths[key]

    def dependencies(self, logical_id: str) -> set[str]:
        """The resources ``logical_id`` refers to (Ref, GetAtt, Sub, DependsOn)."""
        resource = self.resources[logical_id]
        found: set[str] = set()
        depends_on = resource.get("DependsOn", [])
        found.update([depends_on] if isinstance(depends_on, str) else depends_on)

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if "Ref" in node and isinstance(node["Ref"], str):
                    found.add(node["Ref"])
                if "Fn::GetAtt" in node:
                    target = node["Fn::GetAtt"]
                    found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
                if "Fn::Sub" in node:
                    text = node["Fn::Sub"][0] if isinstance(node["Fn::Sub"], list) else node["Fn::Sub"]
                    for ref in re.findall(r"\$\{([^}!][^}]*)\}", str(text)):
                        found.add(ref.split(".")[0])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(resource.get("Properties", {}))
        return found & set(self.resources)

    def creation_order(self) -> list[str]:
        """Resources in an order where each comes after everything it refers to."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(logical_id: str) -> None:
            if state.get(logical_id) == "done":
                return
            if state.get(logical_id) == "visiting":
                raise ValueError(f"circular reference through {logical_id}")
            state[logical_id] = "visiting"
            for dependency in sorted(self.dependencies(logical_id)):
                visit(dependency)
            state[logical_id] = "done"
            order.append(logical_id)

        for logical_id in self.resources:
            visit(logical_id)
        return order


Attribute = Callable[[str], Any]


class Intrinsics:
    """Resolves intrinsic functions against parameters, pseudo parameters and created resources."""

    def __init__(
        self, parameters: Mapping[str, Any], pseudo: Mapping[str, str], conditions: Mapping[str, Any]
    ):
        self.values: dict[str, Any] = {**pseudo, **parameters}
        self.attributes: dict[str, dict[str, Any]] = {}
        self._conditions_raw = conditions
        self._conditions: dict[str, bool] = {}

    def record(self, logical_id: str, ref: Any, attributes: Mapping[str, Any]) -> None:
        self.values[logical_id] = ref
        self.attributes[logical_id] = dict(attributes)

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self._conditions_raw[name]))
        return self._conditions[name]

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                if arg == "AWS::NoValue":
                    return _NO_VALUE
                if arg not in self.values:
                    raise KeyError(f"Ref to {arg}, which is not (yet) defined")
                return self.values[arg]
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                try:
                    return self.attributes[logical_id][attribute]
                except KeyError as missing:
                    raise KeyError(f"Fn::GetAtt {logical_id}.{attribute} is not known") from missing
            if key == "Fn::Sub":
                text, local = (arg[0], self.resolve(arg[1])) if isinstance(arg, list) else (arg, {})
                return re.sub(r"\$\{([^}!][^}]*)\}", lambda m: str(self._sub_value(m.group(1), local)), text)
            if key == "Fn::Join":
                separator, items = arg
                return str(separator).join(str(item) for item in self.resolve(items))
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                left, right = self.resolve(arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in arg)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Select":
                index, items = self.resolve(arg)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = self.resolve(arg)
                return str(text).split(separator)
            if key == "Fn::ToJsonString":
                return json.dumps(self.resolve(arg), separators=(",", ":"))
            if key == "Fn::GetAZs":
                region = self.values["AWS::Region"]
                return [f"{region}a", f"{region}b", f"{region}c"]
            # the functions of a template's Rules (a parameter's value stands for itself there)
            if key == "Fn::Contains":
                members, value = self.resolve(arg)
                return value in members
            if key == "Fn::EachMemberEquals":
                members, value = self.resolve(arg)
                return all(member == value for member in members)
            if key == "Fn::EachMemberIn":
                members, allowed = self.resolve(arg)
                return all(member in allowed for member in members)
        return {
            key: value
            for key, value in ((k, self.resolve(v)) for k, v in node.items())
            if value is not _NO_VALUE
        }

    def _sub_value(self, name: str, local: Mapping[str, Any]) -> Any:
        if name in local:
            return local[name]
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.resolve({"Fn::GetAtt": [logical_id, attribute]})
        return self.resolve({"Ref": name})


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE: Any = _NoValue()
