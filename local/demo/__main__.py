"""``make demo``: the blueprint's walkthrough (``aws-batch-on-eks``), end to end, through the control plane,
on the embedded AWS, with no AWS account.

1. Deploy ``template.yaml`` into the embedded AWS (every EKS cluster gets a real kube-apiserver) and
   provision the blueprint's environment with the command-line client (``batch-on-eks provision --follow``,
   as the person walking through, with their AWS profile, through the API signed with SigV4): it prints each
   step as it completes and each turn of the workflow's wait loops. The demo prints through the client, so
   the two cannot drift.
2. Write the kubeconfig ``aws eks update-kubeconfig`` would write for the person walking through (an IAM
   role they assumed, named in the provisioning's ``clusterAdminPrincipalArns``): its exec user obtains
   the person's EKS token. Show what ``kubectl get nodes`` / ``get ns`` / ``auth can-i`` answer to it.
3. Run the hello-world job on the on-demand and the Spot queue at once (``batch-on-eks run``, then
   ``batch-on-eks follow`` of both): each status as the control plane records it, the pods and nodes as
   ``kubectl get ... -w`` shows them, then pod, node, log links and the job's log lines (``Hello World!``).
4. Tear the environment down (``batch-on-eks teardown --follow``) and show that nothing is left.

``--keep`` skips 4: everything stays up and the API is served on 127.0.0.1 behind a random token, until
Ctrl-C stops it all (:mod:`local.demo.keep`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from batch_on_eks_cli import cli
from batch_on_eks_cli.connection import Connection
from local.dataplane.jobs import Timings
from local.demo.console import heading, say, table
from local.demo.environment_inventory import inventory
from local.demo.keep import serve_until_interrupted
from local.demo.kube_watch import Watch
from local.demo.kubeconfig import exec_token, write_kubeconfig
from local.demo.kubectl_views import (
    NODE_HEADER,
    POD_HEADER,
    can_i,
    get_namespaces,
    get_nodes,
    node_row,
    pod_row,
)
from local.demo.person import Person, person
from local.embedded_aws.api_bridge import ApiBridge
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.lambda_output import echo_functions
from local.embedded_aws.server import REPO_ROOT, EmbeddedAws
from local.kubernetes.client import KubeClient
from local.kubernetes.cluster import KubernetesCluster

ENVIRONMENT = "doeks-aws-batch"
# The person walking through: the IAM role they assumed (an admin role, as from IAM Identity Center).
PERSON_ROLE = "blueprint-walker"
NAMESPACE = "doeks-aws-batch"  # the provision workflow's default, as the blueprint's
# The client's wait between two checks while following, seconds.
FOLLOW_INTERVAL = "0.25"
# On AWS a cluster takes about ten minutes to become ACTIVE and a node group a few; the embedded EKS and
# Batch make a new resource ready at its first Describe unless told otherwise. These keep each CREATING for
# a few checks, so that the workflow's wait loops visibly turn (one poll interval per check).
SLOW_STARTS = (
    ("cluster", ENVIRONMENT, 4),
    ("nodegroup", f"{ENVIRONMENT}/core-node-group", 3),
    ("addon", f"{ENVIRONMENT}/amazon-cloudwatch-observability", 2),
    ("compute-environment", f"{ENVIRONMENT}-CE1_OD", 1),
    ("compute-environment", f"{ENVIRONMENT}-CE1_SPOT", 1),
)
# Batch's own pace before a job's pod starts (scheduling, node start), shortened.
DEMO_TIMINGS = Timings(runnable=1.0, starting=2.0)
# Column widths of the two watches (kubectl aligns a watch's rows to its first ones; the names are known).
_NODE_COLUMNS = (10, 30, 10, 8, 6)  # EVENT, NAME, STATUS, ROLES, AGE; then VERSION
_POD_COLUMNS = (10, 48, 7, 13, 10)  # EVENT, NAME, READY, STATUS, RESTARTS; then AGE


class Walkthrough:
    """The walkthrough's parts, called in order; they share the embedded AWS, the stack, the environment's
    provision outputs and its cluster (the kubeconfig goes into ``scratch``, removed when the demo ends)."""

    def __init__(self, aws: EmbeddedAws, scratch: Path, poll_interval: int):
        self.aws = aws
        self.scratch = scratch
        self.poll_interval = poll_interval
        self.stack: Stack | None = None
        self.outputs: dict[str, Any] = {}
        self.cluster_arn = ""
        self.person: Person | None = None
        self.bridge: ApiBridge | None = None
        self.kubeconfig = scratch / "kubeconfig"

    @property
    def stack_outputs(self) -> dict[str, str]:
        assert self.stack is not None, "deploy() first"
        return self.stack.outputs

    # -- 0. the control plane --------------------------------------------------------------------------
    def deploy(self) -> None:
        heading("Deploy the control plane: template.yaml into the embedded AWS")
        say(f"embedded AWS (moto) on {self.aws.endpoint}; a real kube-apiserver per EKS cluster")
        echo_functions(False)  # their log and metric lines go to their log groups, as on AWS
        # SAM's translator warns about its own feature-toggle config while translating the API: not news.
        logging.getLogger("samtranslator.feature_toggle").setLevel(logging.ERROR)
        self.stack = self.aws.deploy(REPO_ROOT / "template.yaml", "batch-on-eks")
        say(f"stack batch-on-eks deployed: {len(self.stack.resources)} resources")
        for kind, name, describes in SLOW_STARTS:
            self.aws.readiness.hold(kind, name, describes)
        self.person = person(self.aws, self.scratch, PERSON_ROLE)
        say(f"you are {self.person.role_arn} (AWS profile {self.person.profile}, assumed role)")
        # The API as API Gateway serves it: IAM-authenticated, each request signed (SigV4) by the client.
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(self.person.credentials_file)
        self.bridge = ApiBridge(self.aws, self.stack, sigv4=True).start()
        say(f"the control plane's API (IAM-authenticated): {self.bridge.url}")

    def close(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()

    def _client_options(self) -> list[str]:
        assert self.stack is not None, "deploy() first"
        assert self.person is not None
        assert self.bridge is not None
        return [
            *("--stack", self.stack.name, "--profile", self.person.profile, "--region", self.aws.region),
            *("--api-url", self.bridge.url, "--interval", FOLLOW_INTERVAL),
        ]

    def client(self, *args: str) -> int:
        """``batch-on-eks ARGS`` as the person, printed first; its exit code."""
        say(f"$ batch-on-eks --profile {self.person.profile if self.person else ''} {shlex.join(args)}")
        return cli.main([*self._client_options(), *args])

    def connection(self) -> Connection:
        """The client's connection (the person's profile, signed requests), to read what the demo needs."""
        assert self.stack is not None, "deploy() first"
        assert self.person is not None
        assert self.bridge is not None
        return Connection.open(self.stack.name, self.person.profile, self.aws.region, self.bridge.url)

    # -- 1. provision ----------------------------------------------------------------------------------
    def provision(self) -> bool:
        assert self.person is not None, "deploy() first"
        more = {
            "pollIntervalSeconds": self.poll_interval,
            "clusterAdminPrincipalArns": [self.person.role_arn],
        }
        heading("1. Provision the environment with the client: each step as it completes, its outputs")
        if self.client("provision", ENVIRONMENT, "--input", json.dumps(more), "--follow") != 0:
            return False
        detail = self.connection().call("GET", f"/environments/{ENVIRONMENT}")
        self.outputs = {**detail["outputs"], "name": detail["name"], "namespace": detail["namespace"]}
        self.cluster_arn = self.aws.client("eks").describe_cluster(name=ENVIRONMENT)["cluster"]["arn"]
        return True

    # -- 2. kubectl --------------------------------------------------------------------------------------
    def cluster(self) -> KubernetesCluster:
        assert self.aws.kubernetes is not None
        cluster = self.aws.kubernetes.cluster_by_arn(self.cluster_arn)
        assert cluster is not None, f"no local API server for {self.cluster_arn}"
        return cluster

    def token(self) -> str:
        """What the person's kubectl sends: the kubeconfig's exec user run as kubectl runs it."""
        return exec_token(self.kubeconfig)

    def show_cluster(self) -> None:
        heading("2. The cluster, as your kubectl shows it (read from the local kube-apiserver)")
        assert self.person is not None, "deploy() first"
        cluster = self.cluster()
        say(f"$ {self.outputs['updateKubeconfigCommand']} --profile {self.person.profile}")
        write_kubeconfig(self.scratch, self.cluster_arn, cluster, self.person, self.aws.endpoint)
        say(f"kubeconfig (an exec user that gets {PERSON_ROLE}'s EKS token; the CA file): {self.kubeconfig}")
        say(f"  try: kubectl --kubeconfig {self.kubeconfig} get nodes")
        say(f"  kube-apiserver {cluster.endpoint}")
        kube = KubeClient(cluster, token=self.token())
        try:
            say(f"$ kubectl get nodes\n{get_nodes(kube)}")
            say("  (the managed node group's two nodes; Batch's own nodes join as it places jobs)")
            say(f"$ kubectl get ns\n{get_namespaces(kube)}")
            for verb, resource, namespace in (
                ("create", "pods", NAMESPACE),
                ("list", "nodes", None),
                ("create", "pods", "default"),
            ):
                where = f" -n {namespace}" if namespace else ""
                answer = "yes" if can_i(kube, "aws-batch", verb, resource, namespace) else "no"
                say(f"$ kubectl auth can-i {verb} {resource}{where} --as aws-batch\n{answer}")
        finally:
            kube.close()

    # -- 3. jobs -----------------------------------------------------------------------------------------
    def run_jobs(self) -> bool:
        heading("3. Run the Hello World! job on the on-demand and the Spot queue at once, with the client")
        cluster = self.cluster()
        say("$ kubectl get nodes -w --output-watch-events")
        say(f"$ kubectl get pods -n {NAMESPACE} -w --output-watch-events")
        say(_watch_line("nodes -w", _NODE_COLUMNS, ["EVENT", *NODE_HEADER]))
        say(_watch_line("pods -w ", _POD_COLUMNS, ["EVENT", *POD_HEADER]))
        running: set[str] = set()

        def pod_changed(kind: str, pod: dict[str, Any]) -> None:
            say(_watch_line("pods -w ", _POD_COLUMNS, [kind, *pod_row(pod)]))
            if (pod.get("status") or {}).get("phase") == "Running" and len(running) < 2:
                running.add(pod["metadata"]["name"])
                if len(running) == 2:  # both jobs are on their nodes
                    self._show_nodes(cluster, self.token())

        nodes = Watch(
            cluster,
            "/api/v1/nodes",
            lambda kind, node: say(_watch_line("nodes -w", _NODE_COLUMNS, [kind, *node_row(node)])),
            self.token(),
        )
        pods = Watch(cluster, f"/api/v1/namespaces/{NAMESPACE}/pods", pod_changed, self.token())
        with nodes, pods:
            for queue, job_name in (("on-demand", "hello-world-ondemand"), ("spot", "hello-world-spot")):
                if self.client("run", "--environment", ENVIRONMENT, "--queue", queue, "--job-name", job_name):
                    return False
            runs = self.connection().call("GET", "/jobs", query={"environment": ENVIRONMENT}).get("items", [])
            say("the job sleeps 30 s, then echoes; each status as the control plane records it (event time),")
            say("then each run's pod, node, log links and log lines (where the blueprint's reader used")
            say("`aws batch describe-jobs` and CloudWatch):")
            ok = self.client("follow", *sorted(str(item["runId"]) for item in runs)) == 0
            time.sleep(0.5)  # the pods' last changes (Completed, deleted) reach the watch
        return ok and len(runs) == 2

    @staticmethod
    def _show_nodes(cluster: KubernetesCluster, token: str) -> None:
        kube = KubeClient(cluster, token=token)
        try:
            say(f"$ kubectl get nodes   (both jobs RUNNING)\n{get_nodes(kube)}")
        finally:
            kube.close()

    # -- 4. teardown -------------------------------------------------------------------------------------
    def teardown(self) -> bool:
        heading("4. Tear down with the client")
        interval = str(self.poll_interval)
        if self.client("teardown", ENVIRONMENT, "--poll-interval", interval, "--follow") != 0:
            return False
        left = inventory(self.aws)
        say("what is left:")
        say(table([[f"  {what}", ", ".join(names) or "none"] for what, names in left.items()]))
        server_left = self.aws.kubernetes is not None and self.aws.kubernetes.cluster_by_arn(self.cluster_arn)
        say(f"  kube-apiserver of {ENVIRONMENT}: {'still running' if server_left else 'stopped'}")
        clean = not any(left.values()) and not server_left
        say("teardown clean: nothing is left" if clean else "teardown NOT clean: see above")
        return clean


def _watch_line(prefix: str, widths: tuple[int, ...], cells: list[str]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return f"  {prefix} | " + " ".join(padded + cells[len(widths) :]).rstrip()


def run(keep: bool, poll_interval: int, today: date | None = None) -> int:
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="batch-on-eks-demo-"))
    try:
        with EmbeddedAws(timings=DEMO_TIMINGS, kubernetes=True, today=today) as aws:
            walkthrough = Walkthrough(aws, scratch, poll_interval)
            try:
                walkthrough.deploy()
                if not walkthrough.provision():
                    return 1
                walkthrough.show_cluster()
                ok = walkthrough.run_jobs()
                if keep:
                    assert walkthrough.stack is not None
                    serve_until_interrupted(
                        aws, walkthrough.stack, walkthrough.outputs, walkthrough.kubeconfig
                    )
                else:
                    ok = walkthrough.teardown() and ok
            finally:
                walkthrough.close()
        if keep:
            say("stopped: no process or port of the demo is left")
        else:
            heading(f"Walkthrough {'done' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
        return 0 if ok else 1
    except KeyboardInterrupt:
        say("interrupted: everything stopped")
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make demo", description="The blueprint's walkthrough on the embedded AWS."
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave everything running and serve the API on 127.0.0.1 until Ctrl-C",
    )
    parser.add_argument(
        "--poll-interval", type=int, default=1, help="the workflows' wait between checks, seconds (default 1)"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the day the embedded AWS's calendars say it is, YYYY-MM-DD (default: the real date)",
    )
    args = parser.parse_args(argv)
    return run(args.keep, args.poll_interval, args.today)


if __name__ == "__main__":
    sys.exit(main())
