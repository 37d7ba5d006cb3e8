"""``make demo``: the blueprint's walkthrough (``aws-batch-on-eks``), end to end, through the control plane,
on the embedded AWS, with no AWS account.

1. Deploy ``template.yaml`` into the embedded AWS (every EKS cluster gets a real kube-apiserver) and
   provision the blueprint's environment through the provision state machine, printing each step as it
   completes and each turn of its wait loops.
2. Write the kubeconfig ``aws eks update-kubeconfig`` would write for the person walking through (an IAM
   role they assumed, named in the provisioning's ``clusterAdminPrincipalArns``): its exec user obtains
   the person's EKS token. Show what ``kubectl get nodes`` / ``get ns`` / ``auth can-i`` answer to it.
3. Run the hello-world job on the on-demand and the Spot queue at once, through the run-job state machine:
   each status as its event reaches the control plane, the pods and nodes as ``kubectl get ... -w`` shows
   them, then pod, node, log links and the job's own log lines (``Hello World!``).
4. Tear the environment down through the teardown state machine and show that nothing is left.

``--keep`` skips 4: everything stays up and the API is served on 127.0.0.1 behind a random token, until
Ctrl-C stops it all (:mod:`local.demo.keep`).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from local.dataplane.jobs import Timings
from local.demo.console import heading, say, table
from local.demo.environment_inventory import inventory
from local.demo.jobs import follow_runs, show_result, start_hello_world
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
from local.demo.workflow_progress import WorkflowProgress
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import REPO_ROOT, EmbeddedAws
from local.kubernetes.client import KubeClient
from local.kubernetes.cluster import KubernetesCluster

ENVIRONMENT = "doeks-aws-batch"
# The person walking through: the IAM role they assumed (an admin role, as from IAM Identity Center).
PERSON_ROLE = "blueprint-walker"
NAMESPACE = "doeks-aws-batch"  # the provision workflow's default, as the blueprint's
WORKFLOW_BOUND_SECONDS = 180.0
RUN_BOUND_SECONDS = 180.0
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
        self.kubeconfig = scratch / "kubeconfig"

    @property
    def stack_outputs(self) -> dict[str, str]:
        assert self.stack is not None, "deploy() first"
        return self.stack.outputs

    # -- 0. the control plane --------------------------------------------------------------------------
    def deploy(self) -> None:
        heading("Deploy the control plane: template.yaml into the embedded AWS")
        say(f"embedded AWS (moto) on {self.aws.endpoint}; a real kube-apiserver per EKS cluster")
        self.aws.runtime.environment_overrides["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the functions' INFO logs
        # SAM's translator warns about its own feature-toggle config while translating the API: not news.
        logging.getLogger("samtranslator.feature_toggle").setLevel(logging.ERROR)
        self.stack = self.aws.deploy(REPO_ROOT / "template.yaml", "batch-on-eks")
        say(f"stack batch-on-eks deployed: {len(self.stack.resources)} resources")
        for kind, name, describes in SLOW_STARTS:
            self.aws.readiness.hold(kind, name, describes)
        self.person = person(self.aws, self.scratch, PERSON_ROLE)
        say(f"you are {self.person.role_arn} (AWS profile {self.person.profile}, assumed role)")

    # -- 1. provision ----------------------------------------------------------------------------------
    def provision(self) -> bool:
        assert self.person is not None, "deploy() first"
        execution_input = {
            "name": ENVIRONMENT,
            "pollIntervalSeconds": self.poll_interval,
            "clusterAdminPrincipalArns": [self.person.role_arn],
        }
        heading(
            f"1. Provision the environment: ProvisionEnvironmentStateMachine {json.dumps(execution_input)}"
        )
        description = self._run_workflow("ProvisionEnvironmentStateMachineArn", execution_input)
        if description["status"] != "SUCCEEDED":
            say(f"provisioning {description['status']}: {description.get('error')}")
            say(f"  {description.get('cause')}")
            return False
        self.outputs = json.loads(description["output"])
        say(f"environment {self.outputs['name']} {self.outputs['status']}; outputs (as Terraform's were):")
        say(f"  updateKubeconfigCommand    {self.outputs['updateKubeconfigCommand']}")
        say(f"  jobQueues                  {json.dumps(self.outputs['jobQueues'])}")
        say(f"  jobDefinition              {self.outputs['jobDefinition']}")
        say(f"  clusterAdminPrincipalArns  {json.dumps(self.outputs['clusterAdminPrincipalArns'])}")
        version, policy = self.outputs["kubernetesVersion"], self.outputs["upgradePolicy"]
        say(f"  kubernetesVersion          {version} (upgrade policy {policy})")
        say(f"  controlPlaneCost           {self.outputs['controlPlaneCost']}")
        for kind, command in self.outputs["helloWorldCommands"].items():
            say(f"  helloWorldCommands.{kind:<8} {command}")
        self.cluster_arn = self.aws.client("eks").describe_cluster(name=ENVIRONMENT)["cluster"]["arn"]
        return True

    def _run_workflow(self, state_machine_output: str, execution_input: dict[str, Any]) -> dict[str, Any]:
        progress = WorkflowProgress(self.aws, self.stack_outputs["EnvironmentsTableName"], ENVIRONMENT)
        started = time.monotonic()
        arn = self.aws.client("stepfunctions").start_execution(
            stateMachineArn=self.stack_outputs[state_machine_output], input=json.dumps(execution_input)
        )["executionArn"]
        say(f"execution {arn.rsplit(':', 1)[-1]} started; each step as it completes:")
        description = progress.follow(arn, WORKFLOW_BOUND_SECONDS)
        events = len(self.aws.execution_history(arn))
        seconds = time.monotonic() - started
        say(f"execution {description['status']} in {seconds:.1f} s ({events} history events)")
        return description

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
        heading(
            "3. Run the Hello World! job on the on-demand and the Spot queue at once (run-job state machine)"
        )
        cluster = self.cluster()
        say("$ kubectl get nodes -w --output-watch-events")
        say(f"$ kubectl get pods -n {NAMESPACE} -w --output-watch-events")
        say(_watch_line("nodes -w", _NODE_COLUMNS, ["EVENT", *NODE_HEADER]))
        say(_watch_line("pods -w ", _POD_COLUMNS, ["EVENT", *POD_HEADER]))
        nodes = Watch(
            cluster,
            "/api/v1/nodes",
            lambda kind, node: say(_watch_line("nodes -w", _NODE_COLUMNS, [kind, *node_row(node)])),
            self.token(),
        )
        pods = Watch(
            cluster,
            f"/api/v1/namespaces/{NAMESPACE}/pods",
            lambda kind, pod: say(_watch_line("pods -w ", _POD_COLUMNS, [kind, *pod_row(pod)])),
            self.token(),
        )
        with nodes, pods:
            runs = start_hello_world(
                self.aws, self.stack_outputs["RunJobStateMachineArn"], ENVIRONMENT, self.outputs["jobQueues"]
            )
            say("the job sleeps 30 s, then echoes; each status as the control plane records it (event time):")
            follow_runs(
                self.aws,
                self.stack_outputs["RunsTableName"],
                runs,
                RUN_BOUND_SECONDS,
                when_all_running=lambda: self._show_nodes(cluster, self.token()),
            )
            time.sleep(0.5)  # the pods' last changes (Completed, deleted) reach the watch
        say("the runs' outputs (where the blueprint's reader used `aws batch describe-jobs` and CloudWatch):")
        return all([show_result(self.aws, run) for run in runs])

    @staticmethod
    def _show_nodes(cluster: KubernetesCluster, token: str) -> None:
        kube = KubeClient(cluster, token=token)
        try:
            say(f"$ kubectl get nodes   (both jobs RUNNING)\n{get_nodes(kube)}")
        finally:
            kube.close()

    # -- 4. teardown -------------------------------------------------------------------------------------
    def teardown(self) -> bool:
        execution_input = {"name": ENVIRONMENT, "pollIntervalSeconds": self.poll_interval}
        heading(f"4. Tear down: TeardownEnvironmentStateMachine {json.dumps(execution_input)}")
        description = self._run_workflow("TeardownEnvironmentStateMachineArn", execution_input)
        if description["status"] != "SUCCEEDED":
            say(f"teardown {description['status']}: {description.get('error')}: {description.get('cause')}")
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
            walkthrough.deploy()
            if not walkthrough.provision():
                return 1
            walkthrough.show_cluster()
            ok = walkthrough.run_jobs()
            if keep:
                assert walkthrough.stack is not None
                serve_until_interrupted(aws, walkthrough.stack, walkthrough.outputs, walkthrough.kubeconfig)
            else:
                ok = walkthrough.teardown() and ok
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
