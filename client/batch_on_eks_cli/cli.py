"""``batch-on-eks``: provision, run, follow, read and tear down through a deployed control plane.

Exit codes: 0 done (a followed run or workflow succeeded), 1 a followed run or workflow failed, 2 bad input
or a setting the client cannot use (one line on stderr, never a traceback), 130 interrupted while following
(the run or workflow goes on; the line printed says how to follow it again).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from batch_on_eks_cli import following
from batch_on_eks_cli.connection import ApiError, Connection, UsageError

QUEUE_ROLES = {"spot": "spot", "ondemand": "onDemand", "on-demand": "onDemand"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batch-on-eks", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", help="the control plane's stack (default: samconfig.toml's stack_name)")
    parser.add_argument("--profile", help="an AWS profile (default: the standard credential chain)")
    parser.add_argument("--region", help="the stack's region (default: samconfig.toml's, then the profile's)")
    parser.add_argument("--api-url", help="the API's URL when it is not the stack's ApiUrl (a custom domain)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between checks when following")
    commands = parser.add_subparsers(dest="command", required=True)
    provision = commands.add_parser("provision", help="provision an environment")
    provision.add_argument("name")
    provision.add_argument("--input", default="{}", help="more fields of the provision input, as JSON")
    provision.add_argument("--follow", action="store_true", help="print each step until it ends")
    teardown = commands.add_parser("teardown", help="tear an environment down")
    teardown.add_argument("name")
    teardown.add_argument("--follow", action="store_true", help="print each step until it ends")
    teardown.add_argument("--poll-interval", type=int, help="the workflow's wait between two checks, seconds")
    run = commands.add_parser("run", help="run a job: batch-on-eks run --environment E [-- command ...]")
    run.add_argument("--environment", required=True)
    run.add_argument("--queue", help="spot, on-demand (the default) or a queue's name")
    run.add_argument("--job-name", default="batch-on-eks-cli")
    run.add_argument("--job-definition", help="default: the environment's hello-world")
    run.add_argument("--follow", action="store_true", help="print each status, then pod, node, links and log")
    run.add_argument("job_command", nargs="*", help="the container's command (after --)")
    follow = commands.add_parser(
        "follow", help="follow runs (RUN [RUN ...], at once, each line labelled) or an environment's workflow"
    )
    follow.add_argument("runs", nargs="*", metavar="RUN")
    follow.add_argument("--environment")
    logs = commands.add_parser("logs", help="the last lines a run's container printed")
    logs.add_argument("run")
    logs.add_argument("--limit", type=int, default=50)
    listing = commands.add_parser("list", help="the environments, or an environment's runs")
    listing.add_argument("--environment")
    return parser


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    try:
        connection = Connection.open(options.stack, options.profile, options.region, options.api_url)
        return COMMANDS[options.command](connection, options)
    except UsageError as error:
        print(f"batch-on-eks: {error}", file=sys.stderr)
        return 2
    except Interrupted as stopped:
        print(f"\nstopped following; it goes on. Follow it again: {stopped.again}", file=sys.stderr)
        return 130


class Interrupted(Exception):
    def __init__(self, again: str):
        self.again = again


def _prefix(options: argparse.Namespace) -> str:
    flags = [
        f"--{name.replace('_', '-')} {value}"
        for name in ("stack", "profile", "region", "api_url")
        if (value := getattr(options, name))
    ]
    return " ".join(["batch-on-eks", *flags])


# -- environments -------------------------------------------------------------------------------------------
def provision(connection: Connection, options: argparse.Namespace) -> int:
    try:
        extra = json.loads(options.input)
    except ValueError as error:
        raise UsageError(f"--input is not JSON: {error}") from None
    if not isinstance(extra, dict):
        raise UsageError("--input must be a JSON object")
    answer = connection.call("POST", "/environments", {**extra, "name": options.name})
    following.say(f"provisioning {options.name}: {answer.get('executionArn', answer)}")
    return _follow_environment(connection, options, options.name, "READY") if options.follow else 0


def teardown(connection: Connection, options: argparse.Namespace) -> int:
    query = {"pollIntervalSeconds": options.poll_interval} if options.poll_interval is not None else None
    answer = connection.call("DELETE", f"/environments/{options.name}", query=query)
    following.say(f"tearing down {options.name}: {answer.get('executionArn', answer)}")
    return _follow_environment(connection, options, options.name, "DELETED") if options.follow else 0


def _follow_environment(connection: Connection, options: argparse.Namespace, name: str, goal: str) -> int:
    arn = str(connection.call("GET", f"/environments/{name}").get("executionArn") or "")
    if not arn:
        raise UsageError(f"environment {name} has no workflow to follow")
    try:
        following.follow_workflow(connection, name, arn, options.interval)
    except KeyboardInterrupt:
        raise Interrupted(f"{_prefix(options)} follow --environment {name}") from None
    environment = connection.call("GET", f"/environments/{name}")
    following.say(f"{name}: {environment.get('status')}")
    if environment.get("failure"):
        following.say(f"  failed: {json.dumps(environment['failure'])}")
    for key, value in (environment.get("outputs") or {}).items():
        following.say(f"  {key}: {json.dumps(value) if not isinstance(value, str) else value}")
    return 0 if environment.get("status") == goal else 1


# -- runs ---------------------------------------------------------------------------------------------------
def run(connection: Connection, options: argparse.Namespace) -> int:
    body: dict[str, Any] = {"environment": options.environment, "jobName": options.job_name}
    if options.queue:
        body["jobQueue"] = _queue(connection, options.environment, options.queue)
    if options.job_definition:
        body["jobDefinition"] = options.job_definition
    if options.job_command:
        body["command"] = options.job_command
    answer = connection.call("POST", "/jobs", body)
    run_id = str(answer["id"])
    following.say(f"run {run_id} started on {options.environment}")
    return _follow_runs(connection, options, [run_id]) if options.follow else 0


def _queue(connection: Connection, environment: str, queue: str) -> str:
    role = QUEUE_ROLES.get(queue.lower())
    if role is None:
        return queue
    queues = (connection.call("GET", f"/environments/{environment}").get("outputs") or {}).get(
        "jobQueues"
    ) or {}
    if role not in queues:
        raise UsageError(f"environment {environment} has no {queue} queue (it has {sorted(queues)})")
    return str(queues[role])


def _follow_runs(connection: Connection, options: argparse.Namespace, run_ids: list[str]) -> int:
    try:
        states = following.follow_runs(connection, run_ids, options.interval)
    except KeyboardInterrupt:
        raise Interrupted(f"{_prefix(options)} follow {' '.join(run_ids)}") from None
    labels = following.labels(states)
    for run_id, state in states.items():
        following.print_outcome(connection, state, labels[run_id], 20)
    return 0 if all(state.get("status") == "SUCCEEDED" for state in states.values()) else 1


def follow(connection: Connection, options: argparse.Namespace) -> int:
    if options.environment:
        status = connection.call("GET", f"/environments/{options.environment}").get("status")
        return _follow_environment(
            connection, options, options.environment, "DELETED" if status == "DELETING" else "READY"
        )
    if not options.runs:
        raise UsageError("follow what: give run ids, or --environment NAME")
    return _follow_runs(connection, options, options.runs)


def logs(connection: Connection, options: argparse.Namespace) -> int:
    connection.call("GET", f"/jobs/{options.run}")  # an unknown run is RunNotFound, not an empty log
    following.print_lines(connection, options.run, options.limit)
    return 0


def listing(connection: Connection, options: argparse.Namespace) -> int:
    if options.environment:
        for item in connection.call("GET", "/jobs", query={"environment": options.environment}).get(
            "items", []
        ):
            fields = ("runId", "jobStatus", "jobName", "createdAt")
            following.say("  ".join(str(item.get(key)) for key in fields))
        return 0
    for item in connection.call("GET", "/environments").get("items", []):
        following.say(f"{item.get('name')}  {item.get('status')}")
    return 0


COMMANDS: dict[str, Callable[[Connection, argparse.Namespace], int]] = {
    "provision": provision,
    "teardown": teardown,
    "run": run,
    "follow": follow,
    "logs": logs,
    "list": listing,
}

__all__ = ["ApiError", "main"]
