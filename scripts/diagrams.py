"""The Mermaid diagrams of ``docs/architecture.md``, generated from the code: each workflow from its ASL, and
the architecture from ``template.yaml`` (who invokes which function, which workflow runs which steps, the
tables each function's policy lets it use, where undelivered events go, what the alarms notify).

    .venv/bin/python scripts/diagrams.py          # rewrite the diagrams in docs/architecture.md
    .venv/bin/python scripts/diagrams.py --check  # exit 1 if a committed diagram differs from the code's

Each diagram sits between ``<!-- diagram: NAME -->`` and ``<!-- /diagram -->`` in the document; the text
around them is people's, the diagrams are the code's. A development tool: not shipped in the Lambda layer.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from local.embedded_aws.deploy.template import load_template  # noqa: E402 (the repository's root, just added)

DOCUMENT = REPO_ROOT / "docs" / "architecture.md"
WORKFLOWS = ("run_job", "provision_environment", "teardown_environment", "stack_teardown")
_BLOCK = re.compile(r"(<!-- diagram: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /diagram -->)", re.DOTALL)


def _id(name: str) -> str:
    """A Mermaid node id for a state's name (state names may hold ``?`` and spaces)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    return text.replace('"', "'")


def _errors(rule: Mapping[str, Any]) -> str:
    names = [name.removeprefix("States.") for name in rule.get("ErrorEquals", [])]
    return _label(", ".join(names) if len(names) <= 2 else f"{names[0]}, ...")


def _states(states: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Mermaid lines for ``states``: a node per state, an edge per transition (Catch edges dotted, with the
    errors they catch), a subgraph per branch of a Parallel state."""
    for name, state in states.items():
        node = prefix + _id(name)
        kind = state["Type"]
        if kind == "Choice":
            yield f'    {node}{{"{_label(name)}"}}'
        elif kind in ("Succeed", "Fail"):
            error = f": {state['Error']}" if kind == "Fail" and state.get("Error", name) != name else ""
            yield f'    {node}(["{_label(name)}{_label(error)}"])'
        elif kind == "Wait":
            yield f'    {node}[/"{_label(name)}"/]'
        else:
            yield f'    {node}["{_label(name)}"]'
        if kind == "Parallel":
            for index, branch in enumerate(state["Branches"]):
                inner = f"{node}_{index}_"
                yield f'    subgraph {inner}branch["branch {index + 1}"]'
                yield from _states(branch["States"], inner)
                yield "    end"
                yield f"    {node} --> {inner}{_id(branch['StartAt'])}"
        if "Next" in state:
            yield f"    {node} --> {prefix}{_id(state['Next'])}"
        for choice in state.get("Choices", []):
            yield f"    {node} --> {prefix}{_id(choice['Next'])}"
        if "Default" in state:
            yield f"    {node} -->|otherwise| {prefix}{_id(state['Default'])}"
        for rule in state.get("Catch", []):
            yield f"    {node} -.->|{_errors(rule)}| {prefix}{_id(rule['Next'])}"


def workflow(name: str) -> str:
    definition = json.loads((REPO_ROOT / "statemachine" / f"{name}.asl.json").read_text(encoding="utf-8"))
    lines = [
        "flowchart TD",
        f"    start((start)) --> {_id(definition['StartAt'])}",
        *_states(definition["States"]),
    ]
    return "\n".join(lines)


def _function_of(value: Any) -> str | None:
    """The function a ``DefinitionSubstitutions`` value names (``!GetAtt XFunction.Arn``)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        resource = target[0] if isinstance(target, list) else str(target).split(".")[0]
        return str(resource)
    return None


def architecture() -> str:
    """Who starts what: the entry points (API, EventBridge rules and schedules, CloudFormation's custom
    resources) and the workflows, each pointing at the functions it invokes."""
    resources: Mapping[str, Any] = load_template(REPO_ROOT / "template.yaml")["Resources"]
    functions = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    machines = {n: r for n, r in resources.items() if r["Type"] == "AWS::Serverless::StateMachine"}
    lines = ["flowchart LR"]
    for name in sorted(functions):
        lines.append(f'    {name}["{name.removesuffix("Function")}"]')
    for name in sorted(machines):
        lines.append(f'    {name}[["{name.removesuffix("StateMachine")} workflow"]]')
    sources: dict[str, str] = {}
    for name, function in sorted(functions.items()):
        for event in (function["Properties"].get("Events") or {}).values():
            kind = event["Type"]
            if kind == "Api":
                sources["api"] = "API Gateway (IAM auth)"
                lines.append(f"    api --> {name}")
            elif kind in ("EventBridgeRule", "CloudWatchEvent"):
                pattern = event["Properties"].get("Pattern") or {}
                source = _label(" / ".join(pattern.get("detail-type") or pattern.get("source") or ["events"]))
                node = _id(f"rule_{source}")
                sources[node] = f"EventBridge: {source}"
                lines.append(f"    {node} --> {name}")
            elif kind in ("Schedule", "ScheduleV2"):
                sources["schedule"] = "EventBridge schedule"
                lines.append(f"    schedule --> {name}")
    for resource in resources.values():
        if resource["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in resource["Properties"]:
            for target in resource["Properties"].get("Targets", []):
                function = _function_of(target.get("Arn"))
                if function:
                    sources["schedule"] = "EventBridge schedule"
                    lines.append(f"    schedule --> {function}")
        if resource["Type"].startswith("Custom::"):
            token = resource["Properties"].get("ServiceToken")
            function = _function_of(token)
            if function:
                sources["cloudformation"] = "CloudFormation custom resources"
                lines.append(f"    cloudformation --> {function}")
    for name, machine in sorted(machines.items()):
        for value in (machine["Properties"].get("DefinitionSubstitutions") or {}).values():
            function = _function_of(value)
            if function in functions:
                lines.append(f"    {name} --> {function}")
    lines += _data_and_failures(resources, functions)
    lines[1:1] = [f'    {node}(["{text}"])' for node, text in sorted(sources.items())]
    return "\n".join(dict.fromkeys(lines))


def _references(value: Any) -> Iterator[str]:
    """The resources a template value names: ``Ref``, ``Fn::GetAtt`` and the ``${...}`` of ``Fn::Sub``."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield str(inner[0] if isinstance(inner, list) else str(inner).split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from (m.group(1) for m in re.finditer(r"\$\{([A-Za-z0-9]+)[.}]", str(text)))
            yield from _references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner)


def _data_and_failures(resources: Mapping[str, Any], functions: Mapping[str, Any]) -> list[str]:
    """The tables each function's policy lets it use, where undelivered events and failed invocations go
    (the dead-letter queue), and what the alarms notify."""
    kinds = {name: resource["Type"] for name, resource in resources.items()}
    lines = []
    for name in sorted(n for n, kind in kinds.items() if kind == "AWS::DynamoDB::Table"):
        lines.append(f'    {name}[("{name.removesuffix("Table")} table")]')
    for name in sorted(n for n, kind in kinds.items() if kind == "AWS::SQS::Queue"):
        lines.append(f'    {name}[("{name.removesuffix("Queue")} queue")]')
    for name, function in sorted(functions.items()):
        for table in sorted(set(_references(function["Properties"].get("Policies")))):
            if kinds.get(table) == "AWS::DynamoDB::Table":
                lines.append(f"    {name} --- {table}")
        for event in (function["Properties"].get("Events") or {}).values():
            for queue in _references(event["Properties"].get("DeadLetterConfig")):
                lines.append(f"    {name} -.->|undelivered| {queue}")
        for queue in _references(function["Properties"].get("EventInvokeConfig")):
            if kinds.get(queue) == "AWS::SQS::Queue":
                lines.append(f"    {name} -.->|failed| {queue}")
    alarms = sorted(n for n, kind in kinds.items() if kind == "AWS::CloudWatch::Alarm")
    topics = sorted({t for a in alarms for t in _references(resources[a]["Properties"].get("AlarmActions"))})
    if alarms:
        lines.append(f'    alarms{{{{"{len(alarms)} CloudWatch alarms"}}}}')
    for topic in topics:
        lines.append(f'    {topic}>"{topic.removesuffix("Topic")} topic (SNS)"]')
        lines.append(f"    alarms --> {topic}")
    return lines


def diagrams() -> dict[str, str]:
    return {"architecture": architecture(), **{name: workflow(name) for name in WORKFLOWS}}


def rendered(document: str, generated: Mapping[str, str]) -> str:
    def block(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in generated:
            raise KeyError(f"{DOCUMENT.name}: no diagram is generated for {name!r}")
        return f"{match.group(1)}```mermaid\n{generated[name]}\n```\n{match.group(4)}"

    return _BLOCK.sub(block, document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/architecture.md's Mermaid diagrams.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed diagrams are stale")
    options = parser.parse_args(argv)
    current = DOCUMENT.read_text(encoding="utf-8")
    text = rendered(current, diagrams())
    if options.check:
        if text != current:
            print(f"{DOCUMENT} has diagrams that differ from the code's: run make diagrams", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
