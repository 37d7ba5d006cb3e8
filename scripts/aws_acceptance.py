"""``make aws-acceptance STACK=<stack> CONFIRM=yes``: the blueprint's walkthrough against a deployed stack,
with the caller's own AWS credentials, printing its progress as it goes.

1. Provision an environment (``<BlueprintEnvironmentName>-acceptance``) through the stack's provision state
   machine, naming the caller's IAM role (or user) in ``clusterAdminPrincipalArns``; or, with
   ``--environment``, use one that exists (and leave it up).
2. ``update-kubeconfig`` and ``kubectl get nodes`` as that principal: the kubeconfig's user runs this script's
   ``token`` command (what ``aws eks get-token`` prints); when kubectl is not installed, the same token is
   sent to the cluster's API directly (``GET /api/v1/nodes``).
3. Both hello-world runs (the on-demand and the Spot queue) through the run-job state machine, and
   "Hello World!" read back from CloudWatch Logs through each run's log links.
4. Teardown through the teardown state machine (only of what step 1 provisioned), then the inventory of
   what is left of the environment: nothing, or the command fails.

It creates billable resources: it prints their hourly cost (``models/prices.py``) and refuses to start, before
any request to AWS, unless given ``--confirm-billable-resources``. ``make test`` runs it against the
embedded AWS (tests/acceptance/), passing that flag like any user.

A development tool, outside the Lambda layer; it uses the layer's EKS token and price table.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from batch_on_eks.models.environment_names import job_role_name
from batch_on_eks.models.prices import EKS_STANDARD_SUPPORT, M5_LARGE, PRICES_AS_OF, REGION, usd

CONFIRM_FLAG = "--confirm-billable-resources"
HELLO_WORLD = "Hello World!"
REFUSED = 2


def hourly_cost_lines(node_count: int = 2) -> list[str]:
    """What the walkthrough creates and its list price per hour (the provision input's defaults)."""
    nodes = M5_LARGE.usd * node_count
    return [
        f"It creates an EKS cluster ({usd(EKS_STANDARD_SUPPORT.usd)}/h in standard support) and its managed "
        f"node group ({node_count} x m5.large, {usd(nodes)}/h): {usd(EKS_STANDARD_SUPPORT.usd + nodes)}/h,",
        "plus Batch's instances while the two hello-world jobs run (minutes), and CloudWatch Logs.",
        f"List prices of {REGION}, on demand, as of {PRICES_AS_OF}; yours may differ: "
        f"{EKS_STANDARD_SUPPORT.source}, {M5_LARGE.source}.",
    ]


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Walkthrough:
    def __init__(self, options: argparse.Namespace):
        import boto3  # only once confirmed: nothing before it may reach AWS

        self.options = options
        self.session = boto3.Session(region_name=options.region or os.environ.get("AWS_REGION"))
        self.outputs: dict[str, str] = {}

    def client(self, service: str) -> Any:
        return self.session.client(service)

    # -- the stack and the caller ------------------------------------------------------------------------
    def read_stack(self) -> None:
        stack = self.client("cloudformation").describe_stacks(StackName=self.options.stack)["Stacks"][0]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        say(f"stack {self.options.stack}: {stack['StackStatus']}")

    def caller_principal(self) -> str:
        """The IAM role (or user) behind the caller's credentials: what an access entry names."""
        arn = str(self.client("sts").get_caller_identity()["Arn"])
        if ":assumed-role/" in arn:
            prefix, _, rest = arn.partition(":assumed-role/")
            account = prefix.rsplit(":", 1)[-1]
            partition = arn.split(":")[1]
            return f"arn:{partition}:iam::{account}:role/{rest.split('/')[0]}"
        return arn

    # -- the workflows -----------------------------------------------------------------------------------
    def workflow(self, output: str, execution_input: dict[str, Any], what: str) -> dict[str, Any]:
        """Start a state machine named by a stack output and follow it, printing each state entered."""
        sfn = self.client("stepfunctions")
        arn = sfn.start_execution(
            stateMachineArn=self.outputs[output],
            name=f"acceptance-{uuid.uuid4().hex[:12]}",
            input=json.dumps(execution_input),
        )["executionArn"]
        say(f"{what}: {arn}")
        seen = 0
        deadline = time.monotonic() + self.options.bound_minutes * 60
        while True:
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            for event in events[seen:]:
                entered = event.get("stateEnteredEventDetails")
                if entered:
                    say(f"  {what}: {entered['name']}")
            seen = len(events)
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                say(f"{what}: {described['status']}")
                return dict(described)
            if time.monotonic() > deadline:
                raise SystemExit(f"{what} still RUNNING after {self.options.bound_minutes} minutes: {arn}")
            time.sleep(self.options.poll_seconds)

    def provision(self, name: str, admin: str) -> dict[str, Any]:
        execution_input: dict[str, Any] = {"name": name, "clusterAdminPrincipalArns": [admin]}
        if self.options.workflow_poll_seconds is not None:
            execution_input["pollIntervalSeconds"] = self.options.workflow_poll_seconds
        described = self.workflow("ProvisionEnvironmentStateMachineArn", execution_input, "provision")
        if described["status"] != "SUCCEEDED":
            raise SystemExit(f"provisioning failed: {described.get('cause')}")
        return dict(json.loads(described["output"]))

    def teardown(self, name: str) -> None:
        execution_input: dict[str, Any] = {"name": name}
        if self.options.workflow_poll_seconds is not None:
            execution_input["pollIntervalSeconds"] = self.options.workflow_poll_seconds
        described = self.workflow("TeardownEnvironmentStateMachineArn", execution_input, "teardown")
        if described["status"] != "SUCCEEDED":
            raise SystemExit(f"teardown failed: {described.get('cause')}")

    # -- kubectl -------------------------------------------------------------------------------------------
    def kubeconfig(self, name: str, directory: Path) -> tuple[Path, dict[str, Any]]:
        """What ``aws eks update-kubeconfig`` writes, with this script's ``token`` command as the user."""
        cluster = self.client("eks").describe_cluster(name=name)["cluster"]
        ca = directory / "ca.crt"
        ca.write_bytes(base64.b64decode(cluster["certificateAuthority"]["data"]))
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": name, "cluster": {"server": cluster["endpoint"], "certificate-authority": str(ca)}}
            ],
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": sys.executable,
                            "args": [
                                str(Path(__file__).resolve()),
                                "token",
                                name,
                                "--region",
                                self.session.region_name,
                            ],
                            "env": [{"name": "PYTHONPATH", "value": _layer_path()}],
                        }
                    },
                }
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }
        path = directory / "kubeconfig"
        path.write_text(json.dumps(config))
        return path, cluster

    def get_nodes(self, name: str) -> None:
        with tempfile.TemporaryDirectory() as directory:
            path, cluster = self.kubeconfig(name, Path(directory))
            say(f"update-kubeconfig: {path} (cluster {cluster['arn']})")
            kubectl = shutil.which("kubectl")
            if kubectl:
                say("kubectl get nodes")
                shown = subprocess.run(
                    [kubectl, "--kubeconfig", str(path), "get", "nodes"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if shown.returncode != 0:
                    raise SystemExit(f"kubectl get nodes failed: {shown.stderr.strip()}")
                print(shown.stdout, end="", flush=True)
                return
            say("kubectl is not installed: GET /api/v1/nodes with the kubeconfig's token")
            answer = requests.get(
                f"{cluster['endpoint']}/api/v1/nodes",
                headers={"Authorization": f"Bearer {token(name)}"},
                verify=str(Path(directory) / "ca.crt"),
                timeout=30,
            )
            answer.raise_for_status()
            nodes = answer.json()["items"]
            for node in nodes:
                print(node["metadata"]["name"], flush=True)

    # -- the hello-world runs ------------------------------------------------------------------------------
    def hello_world(self, name: str, provisioned: dict[str, Any]) -> None:
        sfn = self.client("stepfunctions")
        runs = {}
        for queue in ("onDemand", "spot"):
            runs[queue] = sfn.start_execution(
                stateMachineArn=self.outputs["RunJobStateMachineArn"],
                name=f"acceptance-{queue.lower()}-{uuid.uuid4().hex[:8]}",
                input=json.dumps(
                    {
                        "environment": name,
                        "jobName": f"hello-world-{queue.lower()}",
                        "jobDefinition": provisioned["jobDefinition"],
                        "jobQueue": provisioned["jobQueues"][queue],
                    }
                ),
            )["executionArn"]
            say(f"hello-world on {queue}: {runs[queue]}")
        logs = self.client("logs")
        for queue, arn in runs.items():
            deadline = time.monotonic() + self.options.bound_minutes * 60
            while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                if time.monotonic() > deadline:
                    raise SystemExit(f"the {queue} run is still RUNNING: {arn}")
                time.sleep(self.options.poll_seconds)
            if described["status"] != "SUCCEEDED":
                raise SystemExit(f"the {queue} run {described['status']}: {described.get('cause')}")
            links = json.loads(described["output"])["logLinks"]
            say(f"  {queue}: SUCCEEDED; log links: {links['logGroup']} / {links['logStream']}")
            events = logs.get_log_events(
                logGroupName=links["logGroup"], logStreamName=links["logStream"], startFromHead=True
            )["events"]
            lines = [_log_line(event["message"]) for event in events]
            if HELLO_WORLD not in lines:
                raise SystemExit(f"the {queue} run's log has no {HELLO_WORLD!r}: {lines}")
            say(f"  {queue}: {HELLO_WORLD!r} read back from CloudWatch Logs")

    # -- what is left --------------------------------------------------------------------------------------
    def leftovers(self, name: str) -> list[str]:
        eks, batch, logs = self.client("eks"), self.client("batch"), self.client("logs")
        left = [f"EKS cluster {c}" for c in eks.list_clusters()["clusters"] if c == name]
        for ce in batch.describe_compute_environments()["computeEnvironments"]:
            if ce["computeEnvironmentName"].startswith(f"{name}-") and ce["status"] != "DELETED":
                left.append(f"compute environment {ce['computeEnvironmentName']}")
        for queue in batch.describe_job_queues()["jobQueues"]:
            if queue["jobQueueName"].startswith(f"{name}-") and queue["status"] != "DELETED":
                left.append(f"job queue {queue['jobQueueName']}")
        prefix = f"/aws/containerinsights/{name}/"
        left += [
            f"log group {g['logGroupName']}"
            for g in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
        ]
        role = job_role_name(name)
        left += [
            f"job role {r['Path']}{r['RoleName']}"
            for page in self.client("iam").get_paginator("list_roles").paginate()
            for r in page["Roles"]
            if r["RoleName"] == role and r["Path"].endswith("-jobs/")
        ]
        return left

    def run(self) -> int:
        self.read_stack()
        admin = self.options.admin_principal_arn or self.caller_principal()
        say(f"cluster admin: {admin}")
        name = self.options.environment or f"{self.outputs['BlueprintEnvironmentName']}-acceptance"
        provisioned = self.provision(name, admin)
        say(f"environment {name}: {provisioned['status']}; {provisioned['updateKubeconfigCommand']}")
        self.get_nodes(name)
        self.hello_world(name, provisioned)
        if self.options.environment:
            say(f"environment {name} was given: left up")
            return 0
        self.teardown(name)
        left = self.leftovers(name)
        say(f"left of {name}: {', '.join(left) if left else 'nothing'}")
        return 1 if left else 0


def _log_line(message: str) -> str:
    """A container's line: Fluent Bit ships it as JSON with the line under ``log``."""
    try:
        parsed = json.loads(message)
    except ValueError:
        return message.rstrip("\n")
    return str(parsed.get("log", message)).rstrip("\n") if isinstance(parsed, dict) else message


def _layer_path() -> str:
    """Where ``batch_on_eks`` was imported from: the token command imports it too."""
    import batch_on_eks

    return str(Path(batch_on_eks.__file__).resolve().parent.parent)


def token(cluster_name: str) -> str:
    from batch_on_eks.aws.eks_token import eks_token

    return eks_token(cluster_name)


def exec_credential(cluster_name: str) -> str:
    return json.dumps(
        {
            "kind": "ExecCredential",
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "spec": {},
            "status": {"token": token(cluster_name)},
        }
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["token"]:
        parser = argparse.ArgumentParser(prog="aws_acceptance.py token")
        parser.add_argument("cluster")
        parser.add_argument("--region")
        parsed = parser.parse_args(args[1:])
        if parsed.region:
            os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = parsed.region
        print(exec_credential(parsed.cluster))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("--environment", help="an existing environment to use (left up) instead of a new one")
    parser.add_argument("--region", default=None, help="default: the AWS configuration's")
    parser.add_argument("--admin-principal-arn", help="the IAM role or user you are (default: from STS)")
    parser.add_argument("--poll-seconds", type=float, default=15.0, help="between progress checks")
    parser.add_argument("--bound-minutes", type=float, default=60.0, help="each wait's bound")
    parser.add_argument("--workflow-poll-seconds", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(CONFIRM_FLAG, dest="confirmed", action="store_true", help="create billable resources")
    options = parser.parse_args(args)
    for line in hourly_cost_lines():
        print(line, flush=True)
    if not options.confirmed:
        print(
            f"Refusing to start: pass {CONFIRM_FLAG} (make aws-acceptance ... CONFIRM=yes).", file=sys.stderr
        )
        return REFUSED
    return Walkthrough(options).run()


if __name__ == "__main__":
    sys.exit(main())
