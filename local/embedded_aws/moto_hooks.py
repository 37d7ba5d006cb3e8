"""Where the embedded AWS plugs its runtime into moto (the API gaps themselves are in
:mod:`local.embedded_aws.moto_gaps`).

- Lambda ``Invoke`` of a deployed function runs the real handler (:mod:`local.embedded_aws.lambda_runtime`).
- EventBridge rules hand events to function targets (:mod:`local.embedded_aws.event_bus`).
- Step Functions executions emit "Step Functions Execution Status Change" events when they start and end
  (StopExecution included), which moto does not.
- Batch SubmitJob, TerminateJob and CancelJob on EKS queues go to the data plane emulator
  (:mod:`local.dataplane.jobs`), which owns those jobs' lifecycle; other queues keep moto's behaviour.

The hooks are installed once per process; moto's classes are process-wide, so they act on whichever embedded
AWS :func:`activate` was last given (:class:`RunningAws`: its runtime, bus, data plane, faults, signals).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.batch.models import Job
from moto.batch.responses import BatchResponse
from moto.core.exceptions import JsonRESTError
from moto.events.models import Rule
from moto.moto_api import state_manager
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

from local.dataplane.faults import Faults, SubmitRejected
from local.dataplane.jobs import BatchDataPlane, EmulatedJob
from local.embedded_aws.event_bus import Delivery, EventBus
from local.embedded_aws.lambda_runtime import LambdaRuntime
from local.embedded_aws.moto_gaps.batch import eks_namespace_for_queue
from local.embedded_aws.signals import Signals


class RunningAws(Protocol):
    """What the hooks hand moto's calls to (an :class:`~local.embedded_aws.server.EmbeddedAws`)."""

    runtime: LambdaRuntime
    bus: EventBus
    batch: BatchDataPlane
    faults: Faults
    signals: Signals

    def publish_aws_event(
        self, source: str, detail_type: str, detail: dict[str, Any], resources: list[str]
    ) -> Delivery: ...


_active: RunningAws | None = None
_installed = False
_install_lock = threading.Lock()

original_send_to_targets: Callable[..., None] = Rule.send_to_targets
_original_lambda_invoke = LambdaSimpleBackend.invoke
_original_submit = BatchResponse.submitjob
_original_terminate = BatchResponse.terminatejob
_original_cancel = BatchResponse.canceljob
_original_terminated = BaseExecutionWorkerCommunication.terminated
_original_execution_start = Execution.start
_original_execution_stop = Execution.stop


def activate(aws: RunningAws | None) -> None:
    global _active
    _active = aws


def active() -> RunningAws:
    if _active is None:
        raise RuntimeError("no embedded AWS is running in this process")
    return _active


class AwsApiError(JsonRESTError):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(code, message)
        self.code = status


# -- Lambda -----------------------------------------------------------------------------------------------
def _lambda_invoke(
    self: LambdaBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> str | bytes | None:
    function = _active.runtime.find(function_name) if _active else None
    if function is None:
        original = _original_lambda_invoke
        return original(self, function_name, qualifier, body, headers, response_headers)  # type: ignore[arg-type]
    payload = body.encode() if isinstance(body, str) else (body or b"")
    invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type == "Event":
        active().runtime.invoke_async(function, payload)
        return b""
    if invocation_type == "DryRun":
        return b""
    result = active().runtime.invoke(function, payload)
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    response_headers["Content-Length"] = str(len(result.payload))
    return result.payload


# -- EventBridge ------------------------------------------------------------------------------------------
def _send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    if _active is None:
        original_send_to_targets(self, original_event, transform_input)
        return
    _active.bus.send_to_rule_targets(self, original_event)


# -- Step Functions -----------------------------------------------------------------------------------------
def _epoch_ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else None


def _execution_status_event(
    execution: Execution, status_now: str | None = None, stopped_at: datetime | None = None
) -> None:
    """``status_now`` and ``stopped_at``: what AWS reports for a stop the execution has not yet noticed."""
    if _active is None:
        return
    status = status_now or (execution.exec_status.value if execution.exec_status is not None else "RUNNING")
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(stopped_at or execution.stop_date),
        "input": json.dumps(execution.input_data),
        "output": json.dumps(execution.output) if execution.output is not None else None,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if execution.output is not None else None,
        "error": execution.error,
        "cause": execution.cause,
    }
    _active.publish_aws_event(
        "aws.states", "Step Functions Execution Status Change", detail, [execution.exec_arn]
    )


def _terminated(self: BaseExecutionWorkerCommunication) -> None:
    _original_terminated(self)
    if not getattr(self.execution, "abort_reported", False):
        _execution_status_event(self.execution)


def _execution_stop(self: Execution, stop_date: datetime, error: str | None, cause: str | None) -> None:
    """AWS reports ABORTED as StopExecution returns; moto's worker notices the stop only once the current
    state returns (a task waiting for its token may wait a whole heartbeat), so report it here, once."""
    report = self.exec_status is not None and self.exec_status.value == "RUNNING"
    if report:
        self.abort_reported = True  # type: ignore[attr-defined]
    _original_execution_stop(self, stop_date, error, cause)
    if report:
        _execution_status_event(self, "ABORTED", stop_date)


def _execution_start(self: Execution) -> None:
    _original_execution_start(self)
    _execution_status_event(self)


# -- Batch --------------------------------------------------------------------------------------------------
def _client_error(message: str) -> AwsApiError:
    return AwsApiError("ClientException", message, 400)


def _submit_job(self: BatchResponse) -> str:
    request: dict[str, Any] = json.loads(self.body or "{}")
    eks = eks_namespace_for_queue(self.current_account, self.region, str(request.get("jobQueue", "")))
    if eks is None or _active is None:
        return _original_submit(self)
    aws = _active
    try:
        aws.faults.before_submit()
    except SubmitRejected as rejected:
        raise AwsApiError(rejected.code, str(rejected), rejected.status) from None
    job = _create_jobs(self, request, *eks)
    aws.signals.fire(f"submitted:{job.name}")
    try:
        hold = aws.faults.after_submit(job.name)
    except SubmitRejected as rejected:
        raise AwsApiError(rejected.code, str(rejected), rejected.status) from None
    if hold is not None:
        aws.signals.wait(hold.format(jobId=job.job_id), timeout=120)
    return json.dumps({"jobArn": job.moto_job.arn, "jobName": job.name, "jobId": job.job_id})


def _create_jobs(
    response: BatchResponse, request: dict[str, Any], cluster_arn: str, namespace: str
) -> EmulatedJob:
    backend = response.batch_backend
    aws = active()
    if "containerOverrides" in request:
        raise _client_error(
            "Container overrides are not supported for jobs on EKS compute environments; "
            "use eksPropertiesOverride"
        )
    job_definition = backend.get_job_definition(request["jobDefinition"])
    if job_definition is None:
        raise _client_error(f"Job definition {request['jobDefinition']} does not exist")
    if not job_definition.eks_properties:
        raise _client_error(
            f"Job definition {job_definition.arn} has no eksProperties; the job queue runs on EKS"
        )
    queue = backend.get_job_queue(request["jobQueue"])
    if queue is None:
        raise _client_error(f"Job queue {request['jobQueue']} does not exist")
    size = (request.get("arrayProperties") or {}).get("size")
    if size is not None and not 2 <= int(size) <= 10_000:
        raise _client_error("Array job size must be between 2 and 10,000")

    def moto_job(provided_id: str | None, array_properties: dict[str, Any]) -> Any:
        record = Job(
            request["jobName"],
            job_definition,
            queue,
            backend,
            log_backend=backend.logs_backend,
            container_overrides=None,
            eks_properties_override=request.get("eksPropertiesOverride"),
            depends_on=request.get("dependsOn"),
            parameters=request.get("parameters"),
            all_jobs=backend._jobs,
            timeout=request.get("timeout"),
            array_properties=array_properties,
            provided_job_id=provided_id,
            tags=request.get("tags") if provided_id is None else None,
        )
        backend._jobs[record.job_id] = record
        return record

    parent = EmulatedJob(
        aws.batch, moto_job(None, request.get("arrayProperties") or {}), request, cluster_arn, namespace
    )
    aws.batch.add(parent)
    if size is not None:
        for index in range(int(size)):
            child = EmulatedJob(
                aws.batch,
                moto_job(f"{parent.job_id}:{index}", {"index": index}),
                request,
                cluster_arn,
                namespace,
                array_index=index,
                parent=parent,
            )
            parent.children.append(child)
            aws.batch.add(child)
        # ListJobs(arrayJobId=...) lists these
        parent.moto_job._child_jobs = [child.moto_job for child in parent.children]
    aws.batch.start(parent)
    return parent


def _emulated(job_id: str) -> EmulatedJob | None:
    return _active.batch.jobs.get(job_id) if _active else None


def _stop_job(response: BatchResponse, original: Callable[[BatchResponse], str], *, cancel: bool) -> str:
    """TerminateJob (any time before the end) or CancelJob (only before STARTING) of an emulated job."""
    job = _emulated(str(response._get_param("jobId")))
    if job is None:
        return original(response)
    reason = str(response._get_param("reason") or "")
    if not reason:
        raise _client_error("'reason' is a required field (cannot be an empty string)")
    job.terminate(reason, only_before_starting=cancel)
    return ""


def _terminate_job(self: BatchResponse) -> str:
    return _stop_job(self, _original_terminate, cancel=False)


def _cancel_job(self: BatchResponse) -> str:
    return _stop_job(self, _original_cancel, cancel=True)


def _describe(self: Job) -> dict[str, Any]:
    emulated: EmulatedJob | None = getattr(self, "emulated", None)
    return emulated.describe() if emulated is not None else _original_describe(self)


_original_describe = Job.describe


def install() -> None:
    """Install the hooks (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        patches: list[tuple[type, str, Callable[..., Any]]] = [
            # Without Docker, moto serves Lambda from LambdaSimpleBackend, which echoes the payload back.
            (LambdaBackend, "invoke", _lambda_invoke),
            (LambdaSimpleBackend, "invoke", _lambda_invoke),
            (Rule, "send_to_targets", _send_to_targets),
            (BaseExecutionWorkerCommunication, "terminated", _terminated),
            (Execution, "start", _execution_start),
            (Execution, "stop", _execution_stop),
            (BatchResponse, "submitjob", _submit_job),
            (BatchResponse, "terminatejob", _terminate_job),
            (BatchResponse, "canceljob", _cancel_job),
            (Job, "describe", _describe),
        ]
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        # The emulator sets each job's status itself: moto must not advance it on read.
        state_manager.set_transition("batch::job", {"progression": "manual", "times": 2**62})
        _installed = True
