"""Following what the control plane does, as it happens, each line stamped with when it happened:

- a provision or teardown workflow: each step the environment's timeline records, with what it did
  ("EKS cluster ...: ACTIVE"), and each turn of a wait loop, read from the execution's history (a check state
  that exits with ``wait.ready`` false: ``check n of maxChecks``);
- one run or several at once (each line labelled with its job's name): each status the run's timeline
  records (from Batch's event or DescribeJobs, with the attempt), then the outcome: pod, node, log links and
  the last lines the job printed.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from batch_on_eks_cli.connection import Connection

ENDED_RUN = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
ENDED_EXECUTION = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
RESULT_KEYS = ("error", "jobId", "exitCode", "podName", "nodeName")


def pause(seconds: float) -> None:
    """The wait between two checks while following (where Ctrl-C usually lands)."""
    time.sleep(seconds)


def say(text: str) -> None:
    """One whole line per write: other threads of a program using the client may print meanwhile."""
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def clock(at: Any = None) -> str:
    moment = at if isinstance(at, datetime) else datetime.now(UTC)
    return moment.astimezone().strftime("%H:%M:%S")


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _print_in_order(lines: list[tuple[datetime, str]]) -> None:
    for at, text in sorted(lines, key=lambda line: line[0]):
        say(f"  {clock(at)}  {text}")


# -- a workflow ---------------------------------------------------------------------------------------------
def follow_workflow(connection: Connection, name: str, arn: str, interval: float) -> None:
    """Print until the execution ends (its end last): the steps the environment's timeline gained since the
    execution started, and the turns of its wait loops."""
    seen_event, seen_steps, started = 0, 0, None
    while True:
        lines: list[tuple[datetime, str]] = []
        ended = None
        for event in connection.history(arn, seen_event):
            seen_event = max(seen_event, int(event["id"]))
            if event["type"] == "ExecutionStarted":
                started = event["timestamp"]
            lines += _check_turn(event)
            if event["type"] in ENDED_EXECUTION:
                ended = (event["timestamp"], event["type"].removeprefix("Execution").lower())
        timeline = connection.call("GET", f"/environments/{name}").get("timeline") or []
        steps = [step for step in timeline if started is None or _moment(step["at"]) >= started]
        for step in steps[seen_steps:]:
            lines.append((_moment(step["at"]), f"{step['step']:<34} {step.get('detail') or ''}".rstrip()))
        seen_steps = len(steps)
        _print_in_order(lines)
        if ended is not None:
            say(f"  {clock(ended[0])}  {ended[1]}")
            return
        pause(interval)


def _check_turn(event: dict[str, Any]) -> list[tuple[datetime, str]]:
    details = event.get("stateExitedEventDetails") or {}
    if event["type"] != "TaskStateExited" or not details.get("name", "").startswith("Check"):
        return []
    output = json.loads(details.get("output") or "{}")
    wait, config = output.get("wait") or {}, output.get("config") or {}
    if wait.get("ready") is not False:
        return []
    text = (
        f"{details['name']:<34} not yet: check {wait.get('checks')} of {config.get('maxChecks')}, "
        f"next in {config.get('pollIntervalSeconds')} s"
    )
    return [(event["timestamp"], text)]


# -- runs ---------------------------------------------------------------------------------------------------
def follow_runs(connection: Connection, run_ids: list[str], interval: float) -> dict[str, dict[str, Any]]:
    """Print each run's new timeline entries until every run has ended; each run's last state."""
    states = {run_id: connection.call("GET", f"/jobs/{run_id}") for run_id in run_ids}
    label_of = labels(states)
    seen = dict.fromkeys(run_ids, 0)
    while True:
        lines: list[tuple[datetime, str]] = []
        for run_id, state in states.items():
            timeline = state.get("timeline") or []
            for entry in timeline[seen[run_id] :]:
                via = "its event" if entry.get("source") == "event" else "DescribeJobs"
                text = f"{entry['status']:<9} (from {via}, attempt {entry.get('attempt')})"
                lines.append((_moment(entry["at"]), label_of[run_id] + text))
            seen[run_id] = len(timeline)
        _print_in_order(lines)
        if all(state.get("status") in ENDED_RUN for state in states.values()):
            return states
        pause(interval)
        states = {
            run_id: state if state.get("status") in ENDED_RUN else connection.call("GET", f"/jobs/{run_id}")
            for run_id, state in states.items()
        }


def labels(states: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Nothing for one run; else ``[job name] `` (``[run id] `` when two share one), aligned (the API adds a
    unique suffix to each job's name)."""
    if len(states) == 1:
        return dict.fromkeys(states, "")
    names = {run_id: str(state.get("jobName") or run_id) for run_id, state in states.items()}
    if len(set(names.values())) < len(names):
        names = {run_id: run_id for run_id in states}
    width = max(len(name) for name in names.values())
    return {run_id: f"[{name:<{width}}] " for run_id, name in names.items()}


def print_outcome(connection: Connection, state: dict[str, Any], label: str, limit: int) -> None:
    """The run's end: status, error, job, exit code, pod, node, log links, then the job's last lines."""
    say(f"{label}run {state.get('status')}")
    for key in RESULT_KEYS:
        if state.get(key) is not None:
            say(f"{label}  {key}: {state[key]}")
    for key, link in (state.get("logLinks") or {}).items():
        for number, line in enumerate(str(link).splitlines()):
            say(f"{label}  {key + ':' if number == 0 else ' ' * len(key)} {line}")
    print_lines(connection, str(state["runId"]), limit, label)


def print_lines(connection: Connection, run_id: str, limit: int, label: str = "") -> None:
    lines = connection.call("GET", f"/jobs/{run_id}/logs", query={"limit": limit}).get("lines") or []
    for line in lines:
        say(f"{label}  | {line.get('message', '')}")
