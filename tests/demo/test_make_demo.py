"""``make demo`` plays the blueprint's walkthrough against the control plane deployed into the
embedded AWS, and says so: provisioned step by step, both hello-world jobs SUCCEEDED with their pods, log
links and ``Hello World!``, torn down with nothing left, exit 0. Run as a user runs it (make, a subprocess
from the repository's root); about a minute with a warm Kubernetes cache."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.demo.demo_process import DemoProcess

BOUND_SECONDS = 240
# The runs' job names (the client labels each run's lines with it; the API adds a unique suffix).
JOBS = ("hello-world-ondemand", "hello-world-spot")
POD = r"aws-batch\.[0-9a-f-]{36}"
LOG_STREAM_LINK = (
    "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/"
    "$252Faws$252Fcontainerinsights$252Fdoeks-aws-batch$252Fapplication/log-events/"
)


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[int, str]]:
    # Given a clone where `make demo` has what it needs (the Kubernetes binaries cached)
    # When a user runs `make demo`
    process = DemoProcess()
    try:
        code = process.wait(BOUND_SECONDS)
        yield code, process.output
    finally:
        process.kill()


def test_it_exits_0_after_the_whole_walkthrough(demo: tuple[int, str]) -> None:
    code, output = demo
    # Then it exits 0, and says the walkthrough is done
    assert code == 0, output
    assert re.search(r"^== Walkthrough done in \d+ s$", output, re.MULTILINE), output


def test_the_functions_lines_go_to_their_log_groups_not_to_the_screen(demo: tuple[int, str]) -> None:
    _, output = demo
    # Then no log or metric line of a function is on the screen (on AWS they are in the functions' log groups)
    printed = [line for line in output.splitlines() if line.startswith("{")]
    assert printed == [], printed[:3]


def test_provisioning_prints_its_steps_and_wait_loops(demo: tuple[int, str]) -> None:
    _, output = demo
    # Then each step of the provision workflow is printed as it completes, in order
    steps = ["createCluster", "checkCluster", "grantBatchAccess", "createJobQueues", "registerJobDefinition"]
    positions = [output.index(f"  {step} ") for step in steps]
    assert positions == sorted(positions), output
    assert "EKS cluster doeks-aws-batch: ACTIVE" in output
    # And the long waits show their loop turning
    assert re.search(r"CheckCluster +not yet: check 1 of 80, next in 1 s", output), output


def test_the_cluster_is_shown_as_kubectl_would_with_a_kubeconfig(demo: tuple[int, str]) -> None:
    _, output = demo
    # Then a kubeconfig is written and the kubectl command that uses it printed
    assert re.search(r"try: kubectl --kubeconfig /\S+/kubeconfig get nodes", output), output
    # And the namespaces include the Batch namespace, and RBAC lets aws-batch create pods only there
    assert re.search(r"^\S+ doeks-aws-batch +Active +\d+s$", output, re.MULTILINE), output
    assert "$ kubectl auth can-i create pods -n doeks-aws-batch --as aws-batch\n" in _unstamped(output)
    assert re.search(r"can-i create pods -n doeks-aws-batch --as aws-batch\n\S+ yes\n", output), output
    assert re.search(r"can-i create pods -n default --as aws-batch\n\S+ no\n", output), output
    # And Batch's nodes are listed Ready once the jobs run
    assert re.search(r"^\S+ ip-10-1-\d+-\d+\.ec2\.internal +Ready +<none>", output, re.MULTILINE), output


def test_provisioning_the_runs_and_teardown_go_through_the_client(demo: tuple[int, str]) -> None:
    _, output = demo
    # Then each is a batch-on-eks command, as the person (their AWS profile), printed before its output
    for command in (
        "provision doeks-aws-batch --input ",
        "run --environment doeks-aws-batch --queue on-demand --job-name hello-world-ondemand",
        "run --environment doeks-aws-batch --queue spot --job-name hello-world-spot",
        "follow run-",
        "teardown doeks-aws-batch --poll-interval 1 --follow",
    ):
        assert f" $ batch-on-eks --profile blueprint-walker {command}" in output, (command, output)
    assert "doeks-aws-batch: READY" in output
    assert "doeks-aws-batch: DELETED" in output


@pytest.mark.parametrize("job", JOBS)
def test_each_job_succeeds_with_its_pod_node_links_and_hello_world(demo: tuple[int, str], job: str) -> None:
    _, output = demo
    label = rf"\[{job}_[0-9a-f]+ *\]"
    # Then each status is printed as its event is recorded, in Batch's order
    statuses = re.findall(rf"  {label} (\w+) +\(from its event", output)
    assert statuses == ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"], output
    # And the run reports its pod and node, and the pod was seen in the namespace's watch
    assert re.search(rf"^{label} run SUCCEEDED$", output, re.MULTILINE), output
    found = re.search(rf"^{label}   podName: ({POD})$", output, re.MULTILINE)
    node = re.search(rf"^{label}   nodeName: (ip-10-1-\d+-\d+\.ec2\.internal)$", output, re.MULTILINE)
    assert found, output
    assert node, output
    pod = found.group(1)
    assert re.search(rf"pods -w  \| ADDED +{re.escape(pod)} +0/1 +Pending", output), output
    assert re.search(rf"pods -w  \| MODIFIED +{re.escape(pod)} +1/1 +Running", output), output
    # And the log links point at its container's stream, whose lines hold the command's output
    stream = f"{node.group(1)}-application.var.log.containers.{pod}_doeks-aws-batch_application-hello-"
    link = re.escape(f"{LOG_STREAM_LINK}{stream}")
    assert re.search(rf"^{label}   logStreamUrl: {link}", output, re.MULTILINE), output
    assert re.search(rf"^{label}   \| Hello World!$", output, re.MULTILINE), output


def test_the_two_jobs_ran_in_two_pods(demo: tuple[int, str]) -> None:
    _, output = demo
    pods = set(re.findall(rf"\]   podName: ({POD})$", output, re.MULTILINE))
    assert len(pods) == 2, output


def test_teardown_leaves_nothing(demo: tuple[int, str]) -> None:
    _, output = demo
    # Then the teardown workflow's steps are printed, and every kind of resource is listed as gone
    assert "  deleteCluster " in output
    assert "  deleteLogGroups " in output
    for what in (
        "EKS clusters",
        "node groups",
        "add-ons",
        "compute environments",
        "job queues",
        "ACTIVE job definitions",
        "Container Insights log groups",
    ):
        assert re.search(rf"^\S+   {what} +none$", output, re.MULTILINE), (what, output)
    assert "kube-apiserver of doeks-aws-batch: stopped" in output
    assert "teardown clean: nothing is left" in output


def _unstamped(output: str) -> str:
    """The output without each line's ``HH:MM:SS `` stamp."""
    return re.sub(r"^\d\d:\d\d:\d\d ", "", output, flags=re.MULTILINE)
