"""Records every AWS call a deployed function's handler makes, for checking against the function's IAM role.

Once installed (by :meth:`local.embedded_aws.server.EmbeddedAws.start`), every botocore client in the process,
those created before and after, has a ``before-parameter-build`` handler. A call made while a handler runs
(the thread is inside :func:`local.embedded_aws.lambda_runtime.function_environment`) is recorded with the
function, its role's inline policies as the embedded IAM holds them (snapshotted at the first call: they were
created from the template), the IAM action prefix (the service's signing name: ``states`` for Step Functions)
and the request parameters. Calls made outside handlers (tests, the embedded AWS itself) are not recorded.

The recorder is one per process and keeps the calls of every embedded AWS started in it, so a check at the
end of a test session sees all of them.
"""

from __future__ import annotations

import copy
import gc
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.client
import botocore.session

from local.embedded_aws.lambda_runtime import LambdaRuntime, current_function_name

_HANDLER_ID = "embedded-aws-call-recorder"


@dataclass(frozen=True)
class RecordedCall:
    function_name: str
    logical_id: str  # "" when no running embedded AWS knows the function
    role_arn: str
    policies: Mapping[str, str]  # the role's inline policies: name -> JSON document
    service: str  # botocore's service name (stepfunctions)
    iam_prefix: str  # the IAM action prefix (states)
    operation: str  # SendTaskSuccess
    params: Mapping[str, Any]
    region: str
    account: str

    @property
    def action(self) -> str:
        return f"{self.iam_prefix}:{self.operation}"


class CallRecorder:
    def __init__(self) -> None:
        self._calls: list[RecordedCall] = []
        self._lock = threading.Lock()
        self._installed = False
        self._runtime: LambdaRuntime | None = None
        self._account = ""
        self._policies: weakref.WeakKeyDictionary[LambdaRuntime, dict[str, Mapping[str, str]]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def install(self) -> None:
        """Hook every botocore client of the process, existing and future (idempotent)."""
        with self._lock:
            if self._installed:
                return
            original: Callable[..., Any] = botocore.session.Session.create_client
            recorder = self

            def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
                client = original(session, *args, **kwargs)
                recorder.attach(client)
                return client

            botocore.session.Session.create_client = create_client
            self._installed = True
        for obj in gc.get_objects():
            if isinstance(obj, botocore.client.BaseClient):
                self.attach(obj)

    def activate(self, runtime: LambdaRuntime | None, account: str = "") -> None:
        """Record calls with what the running embedded AWS knows of their function: its ``runtime`` (the
        deployed functions) and ``account`` (their roles' policies); None while no embedded AWS runs."""
        self._runtime = runtime
        self._account = account

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build", self._on_call, unique_id=_HANDLER_ID)

    def _on_call(self, params: Mapping[str, Any], model: Any, context: Mapping[str, Any], **_: Any) -> None:
        name = current_function_name()
        if name is None:
            return
        runtime = self._runtime
        function = runtime.find(name) if runtime is not None else None
        service_model = model.service_model
        call = RecordedCall(
            function_name=name,
            logical_id=function.logical_id if function is not None else "",
            role_arn=function.role_arn if function is not None else "",
            policies=self._role_policies(runtime, function.role_arn) if runtime and function else {},
            service=service_model.service_name,
            iam_prefix=service_model.signing_name,
            operation=model.name,
            params=_copy(params),
            region=str(context.get("client_region") or (runtime.region if runtime else "")),
            account=self._account if runtime is not None else "",
        )
        with self._lock:
            self._calls.append(call)

    def _role_policies(self, runtime: LambdaRuntime, role_arn: str) -> Mapping[str, str]:
        """The role's inline policies, read from the embedded IAM (no API call: it would be recorded)."""
        with self._lock:
            known = self._policies.setdefault(runtime, {})
            if role_arn not in known:
                from moto.iam.models import iam_backends

                partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
                try:
                    role = iam_backends[self._account][partition].get_role_by_arn(role_arn)
                    known[role_arn] = dict(role.policies)
                except Exception:  # no such role: the function has no permissions
                    known[role_arn] = {}
            return known[role_arn]


def _copy(params: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        return copy.deepcopy(dict(params))
    except Exception:  # an uncopyable value (a stream): keep the top-level keys
        return dict(params)


RECORDER = CallRecorder()


def install() -> CallRecorder:
    RECORDER.install()
    return RECORDER
