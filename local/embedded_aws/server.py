"""The embedded AWS: moto as a server on 127.0.0.1, the template deployed into it, handlers run in-process,
and a Batch-on-EKS data plane emulator behind Batch.

    with EmbeddedAws() as aws:
        stack = aws.deploy(Path("template.yaml"))
        boto3.client("stepfunctions").start_execution(...)   # plain boto3 reaches the embedded AWS

``today`` is the day the embedded AWS's calendars say it is (EKS's Kubernetes versions); the real date unless
given: tests pin it, so that their verdicts do not change as AWS's calendar moves.

With ``kubernetes=True`` every EKS cluster gets a real Kubernetes API server (:mod:`local.kubernetes.eks`):
DescribeCluster answers its endpoint and CA, EKS tokens authenticate through access entries and aws-auth,
and each emulated job's pod is created there as Batch's user (needs ``make kubernetes`` once).

While it runs, the process's AWS settings point at it (``AWS_ENDPOINT_URL``, dummy credentials, region), so
every boto3 client made in the process, the handlers' included, talks to it. One runs per process at a time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import boto3

from local.dataplane.container_logs import ContainerLogWriter
from local.dataplane.faults import Faults
from local.dataplane.jobs import BatchDataPlane, EmulatedJob, Timings
from local.embedded_aws import call_recorder, moto_gaps, moto_hooks
from local.embedded_aws.deploy.deployer import Deployer
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.event_bus import Delivery, EventBus, aws_event
from local.embedded_aws.lambda_runtime import LambdaRuntime
from local.embedded_aws.moto_gaps.batch import batch_credentials
from local.embedded_aws.moto_gaps.eks_access_entries import ClusterAccessRecords
from local.embedded_aws.moto_gaps.eks_addons import ADDON_CATALOG
from local.embedded_aws.moto_gaps.eks_control_plane import use_eks_control_plane
from local.embedded_aws.moto_gaps.eks_versions import CALENDAR
from local.embedded_aws.moto_gaps.readiness import READINESS
from local.embedded_aws.pod_credentials import EmbeddedPodCredentials
from local.embedded_aws.schedules import Schedules
from local.embedded_aws.signals import Signals
from local.embedded_aws.vpc_network import VpcNetwork
from local.kubernetes.binaries import find_binaries
from local.kubernetes.eks import EksKubernetes

ACCOUNT = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[2]

# The process-wide settings that make every boto3 client in the process talk to the embedded AWS.
_AWS_SETTINGS = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "MOTO_PORT",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
)
# What each event delivery may take before the emulator moves on without it (a bound, not a sync).
DELIVERY_BOUND_SECONDS = 60.0
HOLD_BOUND_SECONDS = 120.0
# One moto server per process, kept across embedded AWSes (each starts with moto's backends reset): the
# functions' boto3 clients are created once per Lambda container and cached, as on AWS, and so keep the
# endpoint they were made with.
_SERVER: Any = None


def _configure_moto() -> None:
    """Run state machines for real (ASL executed), never Docker for Lambda or Batch."""
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}
    default_user_config["batch"] = {"use_docker": False}


class EmbeddedAws:
    def __init__(
        self,
        region: str = "us-east-1",
        timings: Timings | None = None,
        *,
        kubernetes: bool = False,
        schedule_scale: float | None = None,
        today: date | None = None,
    ):
        """``schedule_scale``: EventBridge's rate schedules fire every period times this (None: only when a
        test ticks them, :attr:`schedules`)."""
        self.region = region
        self.schedule_scale = schedule_scale
        self.today = today
        self.kubernetes_enabled = kubernetes
        self.kubernetes: EksKubernetes | None = None
        self.account = ACCOUNT
        self.timings = timings or Timings()
        self.signals = Signals()
        self.faults = Faults()
        self.readiness = READINESS
        self.addon_catalog = ADDON_CATALOG  # EKS's add-on versions: tests publish new defaults
        self.runtime = LambdaRuntime(self.signals, region)
        self.bus = EventBus(self.runtime, self.account, region, moto_hooks.original_send_to_targets)
        self.schedules = Schedules(self.bus, self.signals)
        self.batch = BatchDataPlane(
            self.account,
            region,
            self.faults,
            self.timings,
            publish=self._publish_job_event,
            logs=ContainerLogWriter(region),
            tags_of=self._tags_of,
        )
        self.batch.network = VpcNetwork(self.account, region, None)
        self.batch.identity = EmbeddedPodCredentials(self.account, region)
        self.deployer = Deployer(self.runtime, self.account, region)
        self.stacks: dict[str, Stack] = {}
        self.endpoint = ""
        self._server: Any = None
        self._saved_settings: dict[str, str | None] = {}

    # -- life -----------------------------------------------------------------------------------------------
    def start(self) -> EmbeddedAws:
        from moto.core.base_backend import BackendDict
        from moto.core.models import reset_model_data
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        # moto's ASL engine logs every failure it evaluates (a caught error, an IsPresent miss) at ERROR;
        # executions' histories carry them, with the error and cause.
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
        moto_gaps.install()
        moto_hooks.install()
        call_recorder.install()
        _configure_moto()
        BackendDict.reset()  # each embedded AWS starts empty: moto's backends are process-wide
        reset_model_data()
        global _SERVER
        if _SERVER is None:
            _SERVER = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            _SERVER.start()
        self._server = _SERVER
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self._point_process_at(port)
        CALENDAR.set_today(self.today)
        ADDON_CATALOG.reset()
        moto_hooks.activate(self)
        call_recorder.RECORDER.activate(self.runtime, self.account)
        if self.kubernetes_enabled:
            self._start_kubernetes()
        if self.schedule_scale is not None:
            self.schedules.start(self.schedule_scale)
        return self

    def _start_kubernetes(self) -> None:
        find_binaries()  # fail now, naming `make kubernetes`, rather than inside a CreateCluster call
        own = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])  # set just above
        self.kubernetes = EksKubernetes(
            sts_endpoint=self.endpoint,
            own_credentials=own,
            access=ClusterAccessRecords(),
            batch_credentials=batch_credentials,
        )
        use_eks_control_plane(self.kubernetes)
        self.batch.pod_host = self.kubernetes.pod_host
        self.batch.network = VpcNetwork(self.account, self.region, self.kubernetes)

    def _point_process_at(self, port: int) -> None:
        self._saved_settings = {name: os.environ.get(name) for name in _AWS_SETTINGS}
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": "embedded",
                "AWS_SECRET_ACCESS_KEY": "embedded",
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "MOTO_PORT": str(port),  # where moto's Step Functions engine calls Lambda and other services
            }
        )

    def stop(self) -> None:
        self.schedules.stop()
        self.batch.stop()
        self.runtime.wait_async_idle(timeout=10)
        self.runtime.close()
        if self.kubernetes is not None:
            use_eks_control_plane(None)
            self.batch.pod_host = lambda cluster_arn: None
            self.batch.network = VpcNetwork(self.account, self.region, None)
            self.kubernetes.stop_all()
            self.kubernetes = None
        moto_hooks.activate(None)
        call_recorder.RECORDER.activate(None)
        self.readiness.reset()
        CALENDAR.set_today(None)
        ADDON_CATALOG.reset()
        self._server = None  # the server stays up for the next embedded AWS (see _SERVER)
        for name, value in self._saved_settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- use ------------------------------------------------------------------------------------------------
    def deploy(
        self,
        template: Path = REPO_ROOT / "template.yaml",
        stack_name: str = "batch-on-eks",
        parameters: dict[str, str] | None = None,
    ) -> Stack:
        """Create the template's resources in the embedded AWS as CloudFormation would (:class:`Deployer`)."""
        stack = self.deployer.deploy(template, stack_name, parameters)
        self.stacks[stack_name] = stack
        return stack

    def set_today(self, today: date | None) -> None:
        """Move the day the embedded AWS's calendars say it is (None: the real date)."""
        self.today = today
        CALENDAR.set_today(today)

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)

    @property
    def calls(self) -> list[call_recorder.RecordedCall]:
        """Every AWS call a function's handler has made in this process
        (:mod:`local.embedded_aws.call_recorder`)."""
        return call_recorder.RECORDER.calls

    def wait_for_execution(self, execution_arn: str, bound_seconds: float = 60.0) -> dict[str, Any]:
        """DescribeExecution once the execution has ended (polled; the bound only stops a hung caller)."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + bound_seconds
        while time.monotonic() < deadline:
            description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            if description["status"] != "RUNNING":
                return description
            time.sleep(0.05)
        raise TimeoutError(f"{execution_arn} still RUNNING after {bound_seconds} s")

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of the execution's history, all pages."""
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events += page["events"]
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def publish_aws_event(
        self, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
    ) -> Delivery:
        """Emit an event as an AWS service does, on the default bus."""
        return self.bus.publish(aws_event(source, detail_type, detail, self.account, self.region, resources))

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no emulated job runs and no asynchronous invocation is pending (a bound, not a sync).

        Held events are not waited for: they wait for their release signal (``delivered:<jobId>:<STATUS>``
        fires once a released event has been handled).
        """
        jobs_done = self.batch.wait_idle(timeout)
        return jobs_done and self.runtime.wait_async_idle(timeout)

    # -- Batch's events -----------------------------------------------------------------------------------
    def _tags_of(self, arn: str) -> dict[str, str]:
        from moto.batch.models import batch_backends

        tags: dict[str, str] = batch_backends[self.account][self.region].list_tags_for_resource(arn)
        return tags

    def _publish_job_event(self, job: EmulatedJob, detail: dict[str, Any]) -> None:
        """Emit a "Batch Job State Change" event for ``job``, with the faults asked for that job."""
        status = detail["status"]
        fault = self.faults.event_fault(job.name)
        if status in fault.drop:
            self.signals.fire(f"dropped:{job.job_id}:{status}")
            return
        message = aws_event(
            "aws.batch", "Batch Job State Change", detail, self.account, self.region, [detail["jobArn"]]
        )
        copies = 2 if status in fault.duplicate else 1
        hold = fault.hold.get(status)

        def deliver() -> None:
            if hold is not None:
                self.signals.wait(hold.format(jobId=job.job_id), timeout=HOLD_BOUND_SECONDS)
            for _ in range(copies):
                self.bus.publish(json.loads(json.dumps(message))).done.wait(DELIVERY_BOUND_SECONDS)
            self.signals.fire(f"delivered:{job.job_id}:{status}")

        if hold is None:
            deliver()
        else:
            threading.Thread(target=deliver, name=f"held-event-{job.job_id}-{status}", daemon=True).start()
