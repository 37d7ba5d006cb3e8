"""The Batch-on-EKS data plane emulator: what AWS Batch does with a job on an EKS compute environment.

moto keeps the Batch API (queues, definitions, DescribeJobs, ListJobs) but, without Docker, marks a job
SUCCEEDED inside SubmitJob. Here the emulator owns the lifecycle of every job submitted to a queue whose
compute environment is EKS:

    SUBMITTED -> RUNNABLE -> STARTING -> RUNNING -> SUCCEEDED | FAILED
                    ^__________ retry (next attempt) ______|

- Each attempt gets a pod ``aws-batch.<uuid>`` in the compute environment's namespace, on a node named
  like ``ip-10-1-x-y.ec2.internal``, and runs each container's command confined (:mod:`.sandbox`).
- Container output goes to CloudWatch Logs where Container Insights' Fluent Bit puts it
  (:mod:`.container_logs`); the exit code comes from the command.
- ``retryStrategy`` (attempts, ``evaluateOnExit``), ``timeout.attemptDurationSeconds``, array jobs
  (children ``<id>:<index>``; the parent ends after them), TerminateJob and CancelJob behave as in Batch.
- Every status change after SUBMITTED emits a "Batch Job State Change" event whose detail is exactly what
  DescribeJobs answers at that moment, so the two always agree.
- When the job's EKS cluster has a real API server (``EmbeddedAws(kubernetes=True)``), each attempt's pod
  is really created there, as Batch's user, and follows the job (:class:`PodHost`); a refusal fails the
  attempt.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from local.dataplane.attempts import Attempt, ContainerRun, retry_decision
from local.dataplane.container_logs import ContainerLogWriter
from local.dataplane.faults import Faults
from local.dataplane.in_turn import start_in_turn
from local.dataplane.network import NetworkView, NodeReach, search_path
from local.dataplane.pod_identity import IdentityView, PodCredentials
from local.dataplane.sandbox import NO_DNS, Sandbox, SandboxDns

TERMINAL = ("SUCCEEDED", "FAILED")
EXIT_REASON = "Essential container in pod exited"
HOST_RECLAIMED_REASON = "Host EC2 (instance {instance}) terminated."


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Timings:
    """How long an emulated job stays in each status before moving on (seconds)."""

    runnable: float = 0.05
    starting: float = 0.05
    default_time_limit: float = 300.0  # a container's time limit when the job sets no timeout
    # None: an array child runs its containers' commands like any job. A number: array children run without
    # a process each (so that 10,000 of them fit on a small machine): each lasts this long and exits with
    # its job fault's exit code, else 0; at most ``array_child_concurrency`` run at once.
    array_child_seconds: float | None = None
    array_child_concurrency: int = 32


class PodHost(Protocol):
    """A job's cluster that has a real API server (local/kubernetes/pods.py): Batch's pod calls go there."""

    def create(self, job: EmulatedJob, attempt: Attempt) -> str | None:
        """Create the attempt's pod (Pending) as Batch would; None, or why the cluster refused it."""

    def running(self, job: EmulatedJob, attempt: Attempt) -> None: ...

    def finished(self, job: EmulatedJob, attempt: Attempt) -> None:
        """Report the attempt's end on the pod, then delete it as Batch does."""


class EmulatedJob:
    """One Batch job on EKS, driven by the emulator. ``moto_job`` is moto's record of it (for ListJobs)."""

    def __init__(
        self,
        plane: BatchDataPlane,
        moto_job: Any,
        request: dict[str, Any],
        cluster_arn: str,
        namespace: str,
        array_index: int | None = None,
        parent: EmulatedJob | None = None,
    ):
        self.plane = plane
        self.moto_job = moto_job
        self.request = request
        self.cluster_arn = cluster_arn
        self.namespace = namespace
        self.array_index = array_index
        self.parent = parent
        self.children: list[EmulatedJob] = []
        self.status = "SUBMITTED"
        self.status_reason: str | None = None
        self.created_at = now_ms()
        self.started_at: int | None = None
        self.stopped_at: int | None = None
        self.attempts: list[Attempt] = []
        self.terminate_reason: str | None = None
        self.cancel = threading.Event()
        self.lock = threading.RLock()
        self.moto_job.emulated = self

    # -- identity -----------------------------------------------------------------------------------------
    @property
    def job_id(self) -> str:
        return str(self.moto_job.job_id)

    @property
    def name(self) -> str:
        return str(self.moto_job.job_name)

    @property
    def job_definition(self) -> Any:
        return self.moto_job.job_definition

    def _retry_strategy(self) -> dict[str, Any]:
        strategy = self.request.get("retryStrategy") or self.job_definition.retry_strategy or {}
        return dict(strategy)

    def _timeout(self) -> int | None:
        timeout = self.request.get("timeout") or self.job_definition.timeout or {}
        value = timeout.get("attemptDurationSeconds")
        return int(value) if value else None

    # -- what DescribeJobs answers ------------------------------------------------------------------------
    def pod_properties(self) -> dict[str, Any]:
        """The job definition's podProperties with the submit's overrides merged in (as Batch shows them)."""
        definition = dict((self.job_definition.eks_properties or {}).get("podProperties", {}))
        overrides = (self.request.get("eksPropertiesOverride") or {}).get("podProperties", {})
        containers = []
        override_containers = overrides.get("containers", [])
        for index, container in enumerate(definition.get("containers", [])):
            merged = dict(container)
            override = next(
                (o for o in override_containers if o.get("name") == container.get("name")),
                override_containers[index] if index < len(override_containers) else {},
            )
            for key in ("image", "command", "args", "resources"):
                if key in override:
                    merged[key] = override[key]
            if "env" in override:
                env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
                env.update({e["name"]: e.get("value", "") for e in override["env"]})
                merged["env"] = [{"name": k, "value": v} for k, v in env.items()]
            containers.append(merged)
        definition["containers"] = containers
        if "metadata" in overrides:
            definition["metadata"] = overrides["metadata"]
        return definition

    def describe(self) -> dict[str, Any]:
        with self.lock:
            detail: dict[str, Any] = {
                "jobArn": self.moto_job.arn,
                "jobName": self.name,
                "jobId": self.job_id,
                "jobQueue": self.moto_job.job_queue.arn,
                "status": self.status,
                "attempts": [],
                "createdAt": self.created_at,
                "retryStrategy": self._retry_strategy() or {"attempts": 1},
                "dependsOn": [],
                "jobDefinition": self.job_definition.arn,
                "parameters": dict(self.job_definition.parameters or {}),
                "tags": self.plane.tags_of(self.moto_job.arn),
                "platformCapabilities": ["EC2"],
                "eksAttempts": [
                    a.describe(self.cluster_arn, self.namespace)
                    for a in self.attempts
                    if a.stopped_at is not None
                ],
            }
            if self.status_reason:
                detail["statusReason"] = self.status_reason
            if self.started_at is not None:
                detail["startedAt"] = self.started_at
            if self.stopped_at is not None:
                detail["stoppedAt"] = self.stopped_at
            timeout = self._timeout()
            if timeout:
                detail["timeout"] = {"attemptDurationSeconds": timeout}
            if self.children:
                summary = dict.fromkeys(
                    ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"), 0
                )
                for child in self.children:
                    summary[child.status] += 1
                detail["arrayProperties"] = {"statusSummary": summary, "size": len(self.children)}
            elif self.array_index is not None:
                detail["arrayProperties"] = {"index": self.array_index}
            if not self.children:
                pod = self.pod_properties()
                current = self.attempts[-1] if self.attempts else None
                if current is not None:
                    pod["podName"] = current.pod_name
                    pod["nodeName"] = current.node_name
                    runs = {c.name: c for c in current.containers}
                    for container in pod.get("containers", []):
                        run = runs.get(container.get("name", ""))
                        if run is not None and run.exit_code is not None:
                            container["exitCode"] = run.exit_code
                            if run.reason:
                                container["reason"] = run.reason
                detail["eksProperties"] = {"podProperties": pod}
            return detail

    # -- the lifecycle ------------------------------------------------------------------------------------
    def set_status(self, status: str, reason: str | None = None) -> None:
        with self.lock:
            self.status = status
            if reason is not None:
                self.status_reason = reason
            self.moto_job.status = status
            if status in TERMINAL:
                self.stopped_at = now_ms()
                self.moto_job.job_stopped = True
                self.moto_job.job_stopped_reason = self.status_reason
            snapshot = self.describe()
        self.plane.emit(self, snapshot)

    def run(self) -> None:
        """The job's whole life, on its own thread."""
        try:
            if self.children:
                self._run_array_parent()
            else:
                self._run_attempts()
        except Exception as error:
            self.set_status("FAILED", f"emulator error: {type(error).__name__}: {error}")
            raise

    def _wait(self, seconds: float) -> bool:
        """Wait in the current status; True if the job was terminated/cancelled meanwhile."""
        return self.cancel.wait(seconds)

    def _run_attempts(self) -> None:
        timings = self.plane.timings
        fault = self.plane.faults.job_fault(self.name, self.array_index)
        strategy = self._retry_strategy()
        max_attempts = int(strategy.get("attempts", 1) or 1)
        for attempt_number in range(1, max_attempts + 1):
            self.set_status("RUNNABLE")
            if (fault.stuck_runnable and self.cancel.wait()) or self._wait(timings.runnable):
                self.set_status("FAILED", self.terminate_reason or "Terminated")
                return
            attempt = self._new_attempt(attempt_number)
            with self.lock:
                self.attempts.append(attempt)
            pods = self.plane.pod_host(self.cluster_arn)
            refusal = pods.create(self, attempt) if pods is not None else None
            exit_code: int | None
            status_reason: str | None
            if refusal is not None:  # the cluster refused the pod: the attempt ends before it starts
                self._finish_attempt(attempt, refusal)
                exit_code, status_reason = None, refusal
            else:
                self.set_status("STARTING")
                if self._wait(timings.starting):
                    self._finish_attempt(attempt, None)
                    if pods is not None:
                        pods.finished(self, attempt)
                    self.set_status("FAILED", self.terminate_reason or "Terminated")
                    return
                attempt.started_at = now_ms()
                with self.lock:
                    if self.started_at is None:
                        self.started_at = attempt.started_at
                if pods is not None:
                    pods.running(self, attempt)
                self.set_status("RUNNING")
                exit_code, status_reason = self._run_containers(attempt, attempt_number, fault)
                self._finish_attempt(attempt, status_reason)
                if pods is not None:
                    pods.finished(self, attempt)
            if self.cancel.is_set():
                self.set_status("FAILED", self.terminate_reason or "Terminated")
                return
            if exit_code == 0 and status_reason is None:
                self.set_status("SUCCEEDED")
                return
            reason = next((c.reason for c in attempt.containers if c.reason), "") or ""
            action = retry_decision(
                strategy.get("evaluateOnExit", []), status_reason or "", reason, exit_code
            )
            if action == "EXIT" or attempt_number == max_attempts:
                self.set_status("FAILED", status_reason or EXIT_REASON)
                return
            # RETRY (explicit, or no condition matched): back to RUNNABLE for the next attempt

    def _new_attempt(self, attempt_number: int) -> Attempt:
        containers = []
        for spec in self.pod_properties().get("containers", []):
            env = {e["name"]: e.get("value", "") for e in spec.get("env", [])}
            env.update(
                {
                    "AWS_BATCH_JOB_ID": self.job_id,
                    "AWS_BATCH_JQ_NAME": self.moto_job.job_queue.name,
                    "AWS_BATCH_JOB_ATTEMPT": str(attempt_number),
                }
            )
            if self.array_index is not None:
                env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(self.array_index)
            containers.append(
                ContainerRun(
                    name=spec.get("name", "default"),
                    image=spec.get("image", ""),
                    argv=list(spec.get("command", [])) + list(spec.get("args", [])),
                    env=env,
                )
            )
        return Attempt(
            pod_name=f"aws-batch.{uuid.uuid4()}", node_name=self.plane.node_name(), containers=containers
        )

    def _finish_attempt(self, attempt: Attempt, status_reason: str | None) -> None:
        with self.lock:
            attempt.stopped_at = now_ms()
            attempt.status_reason = status_reason or (self.terminate_reason if self.cancel.is_set() else None)

    def _dns(self, reach: NodeReach | None) -> SandboxDns:
        """Name resolution in the pod: what CoreDNS answers, over what the node's groups let through."""
        if reach is None:
            return NO_DNS
        search = tuple(search_path(self.namespace, self.plane.region))
        return SandboxDns(reach.dns_udp, reach.dns_tcp, reach.names, reach.suffixes, search)

    def _run_containers(self, attempt: Attempt, attempt_number: int, fault: Any) -> tuple[int, str | None]:
        """Run each container of the pod in turn; the pod's exit code is the first non-zero one."""
        if attempt_number <= fault.host_reclaimed_attempts:
            for container in attempt.containers:
                container.exit_code, container.reason = None, None
            return 1, HOST_RECLAIMED_REASON.format(instance=f"i-{uuid.uuid4().hex[:17]}")
        lasting = self.plane.timings.array_child_seconds
        if self.array_index is not None and lasting is not None:
            self._wait(lasting)
            code = fault.exit_code or 0
            for container in attempt.containers:
                container.exit_code, container.reason = code, ("Error" if code else None)
            return code, None
        # Only a pod that runs a process asks the VPC: 10,000 array children without one ask nothing
        reach = self.plane.reach(self, attempt.node_name)
        time_limit = float(self._timeout() or self.plane.timings.default_time_limit)
        identity = self.plane.pod_credentials(self)
        pod_exit = 0
        status_reason: str | None = None
        for container in attempt.containers:
            if fault.exit_code is not None:
                container.exit_code, container.reason = fault.exit_code, None
            elif not container.argv:
                container.exit_code = 128
                container.reason = "CannotStartContainerError"
                status_reason = (
                    "CannotStartContainerError: the emulator runs a container's own command; "
                    "this one has none (image entrypoints are not emulated)"
                )
            else:
                writer = self.plane.logs.writer(
                    self.cluster_arn, self.namespace, attempt.pod_name, attempt.node_name, container, reach
                )
                result = Sandbox(time_limit_seconds=time_limit).run(
                    container.argv,
                    env=container.env,
                    on_line=writer.write,
                    cancel=self.cancel,
                    dns=self._dns(reach),
                    identity=identity,
                )
                writer.close()
                container.exit_code = result.exit_code
                if result.timed_out:
                    container.reason = "OutOfTime"
                    status_reason = "Job attempt duration exceeded timeout"
                elif result.exit_code != 0:
                    container.reason = result.reason or "Error"
            if container.exit_code and pod_exit == 0:
                pod_exit = container.exit_code
            if self.cancel.is_set():
                break
        return pod_exit, status_reason

    def _run_array_parent(self) -> None:
        self.set_status("PENDING")
        self.plane.run_children(self.children)
        for child in self.children:
            child.done.wait()
        failed = [c for c in self.children if c.status == "FAILED"]
        if self.cancel.is_set():
            self.set_status("FAILED", self.terminate_reason or "Terminated")
        elif failed:
            self.set_status("FAILED", f"{len(failed)} of {len(self.children)} child jobs failed")
        else:
            self.set_status("SUCCEEDED")

    @property
    def done(self) -> threading.Event:
        return self.plane.done_event(self.job_id)

    def terminate(self, reason: str, *, only_before_starting: bool = False) -> None:
        with self.lock:
            if self.status in TERMINAL:
                return
            if only_before_starting and self.status not in ("SUBMITTED", "PENDING", "RUNNABLE"):
                return
            if self.terminate_reason is None:  # a job being terminated keeps the first request's reason
                self.terminate_reason = reason
        self.cancel.set()
        for child in self.children:
            child.terminate(reason, only_before_starting=only_before_starting)


class BatchDataPlane:
    """Runs emulated EKS jobs and emits their events through ``emit_event``."""

    def __init__(
        self,
        account: str,
        region: str,
        faults: Faults,
        timings: Timings,
        publish: Callable[[EmulatedJob, dict[str, Any]], None],
        logs: ContainerLogWriter,
        tags_of: Callable[[str], dict[str, str]],
    ):
        self.account = account
        self.region = region
        self.faults = faults
        self.timings = timings
        self.publish = publish
        self.logs = logs
        self.tags_of = tags_of
        self.jobs: dict[str, EmulatedJob] = {}
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._random = random.Random()  # noqa: S311 - node names, not secrets
        self._threads: list[threading.Thread] = []
        self.observers: list[Callable[[EmulatedJob, dict[str, Any]], None]] = []  # see every status change
        # cluster ARN -> its real API server's pod calls, when it has one (EmbeddedAws(kubernetes=True))
        self.pod_host: Callable[[str], PodHost | None] = lambda cluster_arn: None
        # The VPC as the embedded AWS evaluates it (None: the network is not evaluated)
        self.network: NetworkView | None = None
        # What a pod's credential endpoints answer (None: a sandbox has none)
        self.identity: IdentityView | None = None

    def reach(self, job: EmulatedJob, node_name: str) -> NodeReach | None:
        """What ``node_name``, a node of the job's compute environment, reaches (None: not evaluated)."""
        environments = getattr(job.moto_job.job_queue, "environments", None) or []
        if self.network is None or not environments:
            return None
        return self.network.node_reach(job.cluster_arn, str(environments[0].arn), node_name)

    def pod_credentials(self, job: EmulatedJob) -> PodCredentials | None:
        """What the job's pod gets from its pod identity and from the node's metadata service."""
        environments = getattr(job.moto_job.job_queue, "environments", None) or []
        if self.identity is None or not environments:
            return None
        pod = job.pod_properties()
        return self.identity.pod_credentials(
            job.cluster_arn,
            str(environments[0].arn),
            job.namespace,
            pod.get("serviceAccountName"),
            bool(pod.get("hostNetwork", True)),  # Batch's EKS default: the host network
        )

    def node_name(self) -> str:
        """A node name as EC2 gives them in the blueprint's private subnets (10.1.0.0/16)."""
        return f"ip-10-1-{self._random.randint(0, 255)}-{self._random.randint(1, 254)}.ec2.internal"

    def done_event(self, job_id: str) -> threading.Event:
        with self._lock:
            return self._done.setdefault(job_id, threading.Event())

    def add(self, job: EmulatedJob) -> None:
        with self._lock:
            self.jobs[job.job_id] = job

    def _life(self, job: EmulatedJob) -> None:
        try:
            job.run()
        finally:
            self.done_event(job.job_id).set()

    def start(self, job: EmulatedJob) -> None:
        thread = threading.Thread(target=self._life, args=(job,), name=f"batch-job-{job.job_id}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def run_children(self, children: list[EmulatedJob]) -> None:
        """Start an array's children: a thread each, or, without processes, a few threads taking them in
        turn (as a compute environment's capacity would)."""
        if self.timings.array_child_seconds is None:
            for child in children:
                self.start(child)
            return
        count = min(self.timings.array_child_concurrency, len(children))
        self._threads.extend(start_in_turn(children, self._life, count, "batch-children"))

    def emit(self, job: EmulatedJob, detail: dict[str, Any]) -> None:
        for observer in self.observers:
            observer(job, detail)
        self.publish(job, detail)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def stop(self, reason: str = "embedded AWS stopped") -> None:
        for job in list(self.jobs.values()):
            job.terminate(reason)
        self.wait_idle(10)
