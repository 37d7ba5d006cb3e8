"""The command-line client (``batch-on-eks``, client/batch_on_eks_cli) against the embedded AWS: it finds the
stack from CloudFormation's outputs, signs every API request with SigV4 (the local bridge checks signatures as
API Gateway's IAM authorization does), follows provisioning and teardown through Step Functions' history and a
run through the API, exits 1 when what it followed failed, and answers bad input with one line and exit 2."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from batch_on_eks_cli import cli, following
from local.embedded_aws.api_bridge import ApiBridge
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.server import EmbeddedAws
from tests.conftest import FAST, TODAY
from tests.runs.batch_env import create_batch_on_eks, register_environment

ENVIRONMENT = "doeks-cli"


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(timings=FAST, kubernetes=True, today=TODAY) as embedded:
        yield embedded


@dataclass
class Client:
    stack: Stack
    bridge: ApiBridge

    def __call__(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        """Run ``batch-on-eks --stack <the stack> --api-url <the bridge> ARGS``: exit code, stdout, stderr."""
        code = cli.main(
            ["--stack", self.stack.name, "--api-url", self.bridge.url, "--interval", "0.1", *args]
        )
        out, err = capsys.readouterr()
        return code, _client_lines(out), _client_lines(err)


@pytest.fixture(scope="module")
def client(aws: EmbeddedAws) -> Iterator[Client]:
    stack = aws.deploy()
    with ApiBridge(aws, stack, sigv4=True) as bridge:
        yield Client(stack, bridge)


def _client_lines(text: str) -> str:
    """What the client printed: the embedded functions run in this process and print their JSON lines too."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith('{"'))


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_the_client_follows_provision_run_and_teardown(
    client: Client, capsys: pytest.CaptureFixture[str], aws: EmbeddedAws
) -> None:
    # Given the deployed stack, reached only through its outputs, its API and Step Functions' history,
    # and an EKS that keeps the new cluster CREATING for two checks
    aws.readiness.hold("cluster", ENVIRONMENT, 2)
    # When an environment is provisioned and followed
    code, out, _ = client(
        capsys, "provision", ENVIRONMENT, "--input", '{"pollIntervalSeconds": 0}', "--follow"
    )
    # Then each step the environment's timeline records is printed with its detail, in order
    assert code == 0, out
    steps = ["createCluster", "checkCluster", "grantBatchAccess", "createJobQueues", "registerJobDefinition"]
    positions = [out.index(f"  {step} ") for step in steps]
    assert positions == sorted(positions), out
    assert re.search(rf"  checkCluster +EKS cluster {ENVIRONMENT}: ACTIVE", out), out
    # And each turn of a wait loop, read from the execution's history
    assert re.search(r"  CheckCluster +not yet: check 1 of \d+, next in 0 s", out), out
    # And the environment is READY with its outputs
    assert f"{ENVIRONMENT}: READY" in out
    assert "updateKubeconfigCommand: aws eks" in out
    # When a job runs on its Spot queue and is followed
    code, out, _ = client(
        capsys,
        "run",
        "--environment",
        ENVIRONMENT,
        "--queue",
        "spot",
        "--follow",
        "--",
        "echo",
        "from the client",
    )
    # Then each status is printed as it changes, then the pod, the node, the log links and the log's lines
    assert code == 0, out
    assert "RUNNING" in out
    assert "SUCCEEDED" in out
    assert "podName: " in out
    assert "nodeName: " in out
    assert "logStreamUrl" in out.replace("consoleUrl", "logStreamUrl")
    assert "  | from the client" in out
    run_id = out.splitlines()[0].split()[1]
    # And its lines and the environment's runs are there to read again
    assert client(capsys, "logs", run_id)[1].strip() == "| from the client"
    assert run_id in client(capsys, "list", "--environment", ENVIRONMENT)[1]
    # When two runs are started without --follow, then followed at once
    started = [
        client(capsys, "run", "--environment", ENVIRONMENT, "--job-name", name, "--", "echo", name)[1]
        for name in ("first-run", "second-run")
    ]
    run_ids = [text.split()[1] for text in started]
    code, out, _ = client(capsys, "follow", *run_ids)
    # Then every line is labelled with its run's job name: each status as recorded, from Batch's event,
    # then each run's outcome and its log's lines
    assert code == 0, out
    for name in ("first-run", "second-run"):
        label = rf"\[{name}_\w+ *\]"  # the job's name, as the API made it unique
        statuses = re.findall(rf"  {label} (\w+) +\(from its event, attempt 1\)", out)
        assert statuses == ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"], out
        assert re.search(rf"^{label} run SUCCEEDED$", out, re.MULTILINE), out
        assert re.search(rf"^{label}   podName: aws-batch\.", out, re.MULTILINE), out
        assert re.search(rf"^{label}   \| {name}$", out, re.MULTILINE), out
    # And no line of the outcome is left unlabelled (a multi-line value is labelled on each line)
    assert all(line.startswith(("  ", "[")) for line in out.splitlines()), out
    # When a job fails, Then the client exits 1
    code, out, _ = client(capsys, "run", "--environment", ENVIRONMENT, "--follow", "--", "sh", "-c", "exit 3")
    assert code == 1, out
    assert "FAILED" in out
    assert "error: BatchJobFailed" in out
    # When the environment is torn down (its checks 0 s apart) and followed, Then it is DELETED
    code, out, _ = client(capsys, "teardown", ENVIRONMENT, "--poll-interval", "0", "--follow")
    assert code == 0, out
    assert f"{ENVIRONMENT}: DELETED" in out
    # And the teardown workflow was started with that interval (DELETE ...?pollIntervalSeconds=0)
    teardown_arn = out.splitlines()[0].split()[-1]
    started = aws.client("stepfunctions").describe_execution(executionArn=teardown_arn)
    assert json.loads(started["input"])["pollIntervalSeconds"] == 0


def test_ctrl_c_while_following_leaves_the_run_going_and_says_how_to_follow_it_again(
    client: Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, aws: EmbeddedAws
) -> None:
    # Given an environment registered READY (its cluster without Batch's RBAC: the job fails on its own),
    # and a run being followed
    environment = f"doeks-ctrlc-{_unique()}"
    batch = create_batch_on_eks(f"{environment}-JQ1_OD", cluster_name=environment)
    register_environment(client.stack.outputs["EnvironmentsTableName"], environment, batch)
    definition = f"sleepy-{_unique()}"
    batch.register_job_definition(definition, ["/bin/sh", "-c", "echo done"])

    # When Ctrl-C comes while the client waits between two checks
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(following, "pause", interrupted)
    code, out, err = client(
        capsys, "run", "--environment", environment, "--job-definition", definition, "--follow"
    )
    # Then it stops following with exit 130 and says how to follow the run again, in one line
    run_id = out.splitlines()[0].split()[1]
    assert code == 130
    assert f"follow {run_id}" in one_line_error(err)
    # And the run goes on to its own end: the client stopped nothing (a stopped execution ends ABORTED)
    arn = (
        client.stack.outputs["RunJobStateMachineArn"].replace(":stateMachine:", ":execution:") + f":{run_id}"
    )
    assert aws.wait_for_execution(arn, 60)["status"] != "ABORTED"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--environment", "doeks-nowhere"], "EnvironmentNotFound"),
        (["logs", "run-does-not-exist"], "RunNotFound"),
        (["follow", "run-does-not-exist"], "RunNotFound"),
        (["provision", "doeks-x", "--input", "not json"], "--input is not JSON"),
    ],
    ids=["unknown environment", "unknown run id (logs)", "unknown run id (follow)", "bad --input"],
)
def test_bad_input_is_one_line_and_exit_2(
    client: Client, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    # When the client is given input the control plane refuses
    code, _, err = client(capsys, *args)
    # Then it says so in one line, naming the error, and exits 2
    assert code == 2
    assert says in one_line_error(err)


def test_a_stack_without_the_outputs_or_no_stack_is_one_line_and_exit_2(
    client: Client, capsys: pytest.CaptureFixture[str], aws: EmbeddedAws
) -> None:
    # Given a stack that is not the control plane (no ApiUrl output), and a name no stack has
    aws.client("cloudformation").create_stack(
        StackName="not-the-control-plane",
        TemplateBody=json.dumps(
            {"Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}
        ),
    )
    # When the client is pointed at each
    for stack, says in (
        ("not-the-control-plane", "has no output ApiUrl"),
        ("no-such-stack", "no-such-stack"),
    ):
        code = cli.main(["--stack", stack, "list"])
        # Then it says so in one line and exits 2
        assert code == 2
        assert says in one_line_error(_client_lines(capsys.readouterr().err))


def test_no_credentials_is_one_line_and_exit_2(
    client: Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given no credentials anywhere the standard chain looks
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # When the client is run
    code, _, err = client(capsys, "list")
    # Then it says so in one line and exits 2
    assert code == 2
    assert "no AWS credentials" in one_line_error(err)


def test_the_bridge_refuses_what_api_gateways_iam_auth_refuses(client: Client) -> None:
    # Given the bridge that checks signatures, and the process's own credentials
    url = f"{client.bridge.url}/environments"
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]

    def signed(secret: str, service: str = "execute-api") -> requests.Response:
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
        return requests.get(url, headers=dict(request.headers.items()), timeout=30)

    # When a request is unsigned, Then it is API Gateway's 403 MISSING_AUTHENTICATION_TOKEN
    unsigned = requests.get(url, timeout=30)
    assert (unsigned.status_code, unsigned.json()["code"]) == (403, "MISSING_AUTHENTICATION_TOKEN")
    # When it is signed with the key's secret, Then it is answered
    assert signed(secret).status_code == 200
    # When signed with another secret, or for another service, Then it is 403 INVALID_SIGNATURE
    for answer in (signed("not-the-secret"), signed(secret, service="lambda")):
        assert (answer.status_code, answer.json()["code"]) == (403, "INVALID_SIGNATURE")


def _unique() -> str:
    return uuid.uuid4().hex[:8]
