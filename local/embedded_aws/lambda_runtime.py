"""In-process Lambda: every invoke of a deployed function runs its real handler, the way Lambda would.

- Synchronous invokes (Step Functions' Lambda tasks, plain ``Invoke``) reach moto's Lambda API and are routed
  here: the handler runs with its own environment variables and a Lambda context; an exception comes back
  as Lambda reports it (``FunctionError: Unhandled`` and ``{"errorType", "errorMessage", "stackTrace"}``),
  so a state machine's ``Catch`` on the error type works.
- Asynchronous invokes (EventBridge targets, ``InvocationType=Event``) go through Lambda's asynchronous
  queue: up to ``MaximumRetryAttempts`` retries (default 2), then the ``EventInvokeConfig`` OnFailure
  destination gets the invocation record, in the shape AWS writes it.

Each handler sees its function's environment through a per-thread overlay of ``os.environ`` (functions run
concurrently in one process, each with the variables the template gives it).
"""

from __future__ import annotations

import contextvars
import importlib.util
import json
import os
import queue
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from local.embedded_aws.signals import Signals

_FUNCTION_ENV: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "lambda_function_env", default=None
)


class _FunctionEnviron(MutableMapping[str, str]):
    """``os.environ`` with the current function's variables laid over the process's own."""

    def __init__(self, base: MutableMapping[str, str]):
        self.base = base

    def _view(self) -> Mapping[str, str]:
        overlay = _FUNCTION_ENV.get()
        return {**self.base, **overlay} if overlay else self.base

    def __getitem__(self, key: str) -> str:
        overlay = _FUNCTION_ENV.get()
        if overlay and key in overlay:
            return overlay[key]
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.base[key] = value

    def __delitem__(self, key: str) -> None:
        del self.base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view())

    def __len__(self) -> int:
        return len(self._view())

    def copy(self) -> dict[str, str]:
        return dict(self._view())


def current_function_name() -> str | None:
    """The name of the function whose handler runs in this thread (None outside handlers)."""
    overlay = _FUNCTION_ENV.get()
    return overlay.get("AWS_LAMBDA_FUNCTION_NAME") if overlay else None


def _install_environ_overlay() -> None:
    if not isinstance(os.environ, _FunctionEnviron):
        os.environ = _FunctionEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003 - an overlay, not a reset


@dataclass(frozen=True)
class LambdaContext:
    """The context object Lambda passes to a handler (the attributes Powertools and handlers read)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class InvokeConfig:
    """A function's asynchronous invocation settings (``EventInvokeConfig``)."""

    maximum_retry_attempts: int = 2
    on_failure_destination: str | None = None


@dataclass
class DeployedFunction:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    role_arn: str = ""
    invoke_config: InvokeConfig = field(default_factory=InvokeConfig)
    _handler: Callable[[Any, Any], Any] | None = None
    _credentials: dict[str, str] | None = None

    def role_credentials(self) -> dict[str, str]:
        """The function's execution role's credentials, as Lambda puts them in its environment: an
        ``AssumeRole`` session named after the function (so STS GetCallerIdentity names the role, and an
        EKS access entry for the role recognises the function). Assumed once per function, like a warm
        container's credentials; none for a function without a role."""
        if self._credentials is None:
            if not self.role_arn:
                self._credentials = {}
            else:
                answer = boto3.client("sts").assume_role(
                    RoleArn=self.role_arn, RoleSessionName=self.name[:64]
                )
                self._credentials = {
                    "AWS_ACCESS_KEY_ID": answer["Credentials"]["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": answer["Credentials"]["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": answer["Credentials"]["SessionToken"],
                }
        return self._credentials

    def load_handler(self, environment: Mapping[str, str] | None = None) -> Callable[[Any, Any], Any]:
        """Import the handler (once), with ``environment`` as the function sees it (its init phase)."""
        if self._handler is None:
            module_file, _, attribute = self.handler.rpartition(".")
            path = self.code_dir / (module_file.replace(".", "/") + ".py")
            module_name = f"_lambda_{self.logical_id}_{module_file.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise FileNotFoundError(f"{self.logical_id}: no handler module at {path}")
            module: ModuleType = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            with function_environment(environment or self.runtime_environment()):
                spec.loader.exec_module(module)
            self._handler = getattr(module, attribute)
        return self._handler

    def runtime_environment(self) -> dict[str, str]:
        """The variables Lambda sets for every function (its role's credentials among them), then the
        template's."""
        return {
            **self.role_credentials(),
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            **self.environment,
        }


class function_environment:
    """Run a block with a function's environment laid over ``os.environ`` (this thread only)."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self._token: contextvars.Token[Mapping[str, str] | None] | None = None

    def __enter__(self) -> None:
        self._token = _FUNCTION_ENV.set(dict(self.env))

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _FUNCTION_ENV.reset(self._token)


@dataclass(frozen=True)
class InvokeResult:
    payload: bytes
    function_error: str | None  # "Unhandled" when the handler raised


class LambdaRuntime:
    """Holds the deployed functions and runs their handlers, synchronously or through the async queue."""

    def __init__(self, signals: Signals, region: str, async_retry_delay_seconds: float = 0.0):
        _install_environ_overlay()
        self.signals = signals
        self.region = region
        self.async_retry_delay_seconds = async_retry_delay_seconds
        # laid over every function's own variables (e.g. a quieter POWERTOOLS_LOG_LEVEL for the demo)
        self.environment_overrides: dict[str, str] = {}
        self._functions: dict[str, DeployedFunction] = {}
        self._async_queue: queue.Queue[tuple[DeployedFunction, bytes, Callable[[], None] | None] | None] = (
            queue.Queue()
        )
        self._workers: list[threading.Thread] = []
        # logical id -> how long each of its invocations ran, in seconds (``make bench`` prices them)
        self.durations: dict[str, list[float]] = {}
        self._async_pending = 0
        self._async_idle = threading.Condition()

    def add_code_paths(self, paths: list[str]) -> None:
        """Make layer contents importable, as Lambda does by extracting layers under /opt."""
        for path in paths:
            for candidate in (str(Path(path) / "python"), str(path)):
                if Path(candidate).is_dir() and candidate not in sys.path:
                    sys.path.append(candidate)

    # -- registry ---------------------------------------------------------------------------------------
    def register(self, function: DeployedFunction) -> None:
        self._functions[function.name] = function
        self._functions[function.arn] = function

    def find(self, name_or_arn: str) -> DeployedFunction | None:
        if name_or_arn in self._functions:
            return self._functions[name_or_arn]
        # a qualified ARN (...:function:name:$LATEST) or a partial ARN
        base = name_or_arn.split(":function:")[-1].split(":")[0]
        return self._functions.get(base)

    def function(self, logical_id: str) -> DeployedFunction:
        for function in self._functions.values():
            if function.logical_id == logical_id:
                return function
        raise KeyError(f"no deployed function {logical_id}")

    # -- synchronous --------------------------------------------------------------------------------------
    def invoke(self, function: DeployedFunction, payload: bytes) -> InvokeResult:
        """Run the handler once, in this thread, and report its result or error as Lambda does."""
        event = json.loads(payload) if payload else {}
        environment = {**function.runtime_environment(), **self.environment_overrides}
        handler = function.load_handler(environment)
        context = LambdaContext(
            function_name=function.name,
            invoked_function_arn=function.arn,
            memory_limit_in_mb=function.memory_mb,
            timeout_seconds=function.timeout_seconds,
            log_group_name=f"/aws/lambda/{function.name}",
            _deadline=time.monotonic() + function.timeout_seconds,
        )
        self.signals.fire(f"invoke:{function.logical_id}")
        began = time.perf_counter()
        try:
            with function_environment(environment):
                result = handler(event, context)
            return InvokeResult(payload=json.dumps(result).encode(), function_error=None)
        except Exception as error:
            body = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "requestId": context.aws_request_id,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            return InvokeResult(payload=json.dumps(body).encode(), function_error="Unhandled")
        finally:
            self.durations.setdefault(function.logical_id, []).append(time.perf_counter() - began)
            self.signals.fire(f"invoked:{function.logical_id}")

    # -- asynchronous -------------------------------------------------------------------------------------
    def invoke_async(
        self, function: DeployedFunction, payload: bytes, on_done: Callable[[], None] | None = None
    ) -> None:
        """Queue an asynchronous invocation (what EventBridge and ``InvocationType=Event`` do).

        ``on_done`` runs once the invocation has finished, retries and OnFailure destination included.
        """
        self._ensure_workers()
        with self._async_idle:
            self._async_pending += 1
        self._async_queue.put((function, payload, on_done))

    def wait_async_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued asynchronous invocation has finished (retries and destinations too)."""
        with self._async_idle:
            return self._async_idle.wait_for(lambda: self._async_pending == 0, timeout=timeout)

    def _ensure_workers(self, count: int = 4) -> None:
        while len(self._workers) < count:
            worker = threading.Thread(
                target=self._work, name=f"lambda-async-{len(self._workers)}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def _work(self) -> None:
        while True:
            item = self._async_queue.get()
            if item is None:
                return
            function, payload, on_done = item
            try:
                self._run_async(function, payload)
            except Exception:
                traceback.print_exc()
            finally:
                if on_done is not None:
                    on_done()
                with self._async_idle:
                    self._async_pending -= 1
                    self._async_idle.notify_all()

    def _run_async(self, function: DeployedFunction, payload: bytes) -> None:
        attempts = 1 + function.invoke_config.maximum_retry_attempts
        result = InvokeResult(b"null", None)
        for attempt in range(1, attempts + 1):
            result = self.invoke(function, payload)
            if result.function_error is None:
                return
            if attempt < attempts and self.async_retry_delay_seconds:
                time.sleep(self.async_retry_delay_seconds)
        self._send_to_on_failure(function, payload, result, attempts)

    def _send_to_on_failure(
        self, function: DeployedFunction, payload: bytes, result: InvokeResult, attempts: int
    ) -> None:
        destination = function.invoke_config.on_failure_destination
        if destination is None:
            return  # Lambda drops the event after its retries when no destination is configured
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{function.arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": json.loads(payload),
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": json.loads(result.payload),
        }
        service = destination.split(":")[2]
        if service == "sqs":
            queue_name = destination.rsplit(":", 1)[1]
            sqs = boto3.client("sqs", region_name=self.region)
            url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
        elif service == "sns":
            boto3.client("sns", region_name=self.region).publish(
                TopicArn=destination, Message=json.dumps(record)
            )
        else:
            raise NotImplementedError(f"OnFailure destination {destination}: only SQS and SNS are emulated")

    def close(self) -> None:
        for _ in self._workers:
            self._async_queue.put(None)
        self._workers.clear()
