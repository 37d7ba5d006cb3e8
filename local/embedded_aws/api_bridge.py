"""The REST API on 127.0.0.1: a small HTTP server that turns each request into the API Gateway REST proxy
event (payload format 1.0) the deployed API would send, invokes the deployed function in the embedded
Lambda, and answers with the function's status, headers and body.

    with EmbeddedAws() as aws:
        stack = aws.deploy()
        with ApiBridge(aws, stack) as bridge:
            requests.get(f"{bridge.url}/jobs", params={"environment": "doeks-aws-batch"})

``bridge.url`` ends with the stage (``http://127.0.0.1:<port>/v1``), as the stack's ``ApiUrl`` output does.
Routes come from the deployed API itself (:mod:`local.embedded_aws.api_routes`: the resources and methods the
template's ``Api`` events made), matched as API Gateway matches them. The event carries the resource, the path
parameters, the headers and query string (single- and multi-valued), and a ``requestContext`` with the stage,
the request id and an ``identity``: API Gateway's AWS_IAM check is not emulated, and the caller is the
bridge's ``caller_arn``. With a ``token``, every request must carry ``Authorization: Bearer <token>`` or is
answered 401 (a bridge left running for people, such as the demo's ``--keep``, is then not open to every local
process). With ``sigv4``, every request must be signed as API Gateway's AWS_IAM authorization requires
(:mod:`local.embedded_aws.api_signatures`: 403 ``MISSING_AUTHENTICATION_TOKEN`` or ``INVALID_SIGNATURE``).
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.embedded_aws.api_routes import RouteMatch, deployed_routes, match_route
from local.embedded_aws.api_signatures import Refused, check_signature
from local.kubernetes.eks_tokens import KnownKey, known_keys

if TYPE_CHECKING:
    from local.embedded_aws.deploy.stack import Stack
    from local.embedded_aws.server import EmbeddedAws

# API Gateway's own limit on a request's body (its REQUEST_TOO_LARGE gateway response).
MAX_BODY_BYTES = 10 * 1024 * 1024


def _error_body(code: str, message: str, field: str | None = None) -> bytes:
    return json.dumps({"code": code, "message": message, "field": field}).encode()


class ApiBridge:
    """Serves one deployed REST API of ``stack`` on 127.0.0.1 (an ephemeral port) while in a ``with``."""

    def __init__(
        self,
        aws: EmbeddedAws,
        stack: Stack,
        token: str | None = None,
        caller_arn: str | None = None,
        api_logical_id: str | None = None,
        sigv4: bool = False,
    ):
        self.aws = aws
        self.stack = stack
        self.token = token
        # the secrets of the keys a signature may come from: the embedded AWS's, and the process's own
        self.key_for: Callable[[str], KnownKey | None] | None = known_keys({}) if sigv4 else None
        self.caller_arn = caller_arn or f"arn:aws:iam::{aws.account}:user/local-api-bridge"
        apis = [r for r in stack.resources.values() if r.type == "AWS::ApiGateway::RestApi"]
        if api_logical_id is not None:
            apis = [r for r in apis if r.logical_id == api_logical_id]
        if len(apis) != 1:
            raise ValueError(f"{stack.name}: expected one REST API, found {[r.logical_id for r in apis]}")
        self.api_id = str(apis[0].ref)
        stages = [
            r
            for r in stack.resources.values()
            if r.type == "AWS::ApiGateway::Stage"
            and r.attributes.get("Properties", {}).get("RestApiId") == self.api_id
        ]
        if len(stages) != 1:
            raise ValueError(f"{stack.name}: expected one stage of {self.api_id}, found {len(stages)}")
        self.stage = str(stages[0].ref)
        self.routes = deployed_routes(self.api_id, aws.region)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- life -----------------------------------------------------------------------------------------------
    def start(self) -> ApiBridge:
        bridge = self

        class Handler(_BridgeHandler):
            pass

        Handler.bridge = bridge
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/{self.stage}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-bridge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> ApiBridge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request ----------------------------------------------------------------------------------------
    def check_signature(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        """Raises ``Refused`` as API Gateway's IAM authorization would (a bridge with ``sigv4`` only)."""
        if self.key_for is not None:
            check_signature(method, url, headers, body, self.key_for)

    def authorized(self, authorization: str | None) -> bool:
        if self.token is None:
            return True
        return authorization is not None and hmac.compare_digest(authorization, f"Bearer {self.token}")

    def proxy_event(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        match: RouteMatch,
        source_ip: str,
    ) -> dict[str, Any]:
        """The event API Gateway sends a Lambda proxy integration (REST API, payload format 1.0)."""
        single_headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in headers:
            single_headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        pairs = parse_qsl(query, keep_blank_values=True)
        multi_query: dict[str, list[str]] = {}
        for name, value in pairs:
            multi_query.setdefault(name, []).append(value)
        text: str | None = None
        encoded = False
        if body:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text, encoded = base64.b64encode(body).decode(), True
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        return {
            "resource": match.route.resource_path,
            "path": path,
            "httpMethod": method,
            "headers": single_headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": dict(pairs) or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": match.path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": self.aws.account,
                "apiId": self.api_id,
                "resourcePath": match.route.resource_path,
                "httpMethod": method,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "path": f"/{self.stage}{path}",
                "protocol": "HTTP/1.1",
                "stage": self.stage,
                "domainName": urlsplit(self.url).netloc,
                "identity": {
                    "accountId": self.aws.account,
                    "caller": self.caller_arn.rsplit("/", 1)[-1],
                    "user": self.caller_arn.rsplit("/", 1)[-1],
                    "userArn": self.caller_arn,
                    "sourceIp": source_ip,
                    "userAgent": single_headers.get("User-Agent") or single_headers.get("user-agent"),
                    "accessKey": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "principalOrgId": None,
                },
            },
            "body": text,
            "isBase64Encoded": encoded,
        }

    def invoke(self, match: RouteMatch, event: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        """Invoke the route's function; its proxy answer as ``(status, headers, body)`` (502 if it failed or
        answered something that is not a proxy response, as API Gateway does)."""
        function = self.aws.runtime.find(match.route.function_arn)
        if function is None:
            return 502, [], _error_body("BadGateway", f"no function {match.route.function_arn} is deployed")
        result = self.aws.runtime.invoke(function, json.dumps(event).encode())
        try:
            answer = json.loads(result.payload)
            if result.function_error is not None or not isinstance(answer, dict):
                raise ValueError(result.payload[:500])
            status = int(answer.get("statusCode", 200))
        except (TypeError, ValueError):
            return 502, [], _error_body("BadGateway", "Internal server error")
        headers: list[tuple[str, str]] = []
        multi = answer.get("multiValueHeaders") or {}
        for name, values in multi.items():
            headers += [(name, str(value)) for value in values]
        headers += [
            (name, str(value)) for name, value in (answer.get("headers") or {}).items() if name not in multi
        ]
        body = answer.get("body") or ""
        raw = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
        return status, headers, raw


class _BridgeHandler(BaseHTTPRequestHandler):
    bridge: ApiBridge
    protocol_version = "HTTP/1.1"
    server_version = "embedded-api-gateway"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per request would drown a test's output."""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        sent = {name.lower() for name, _value in headers}
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        if "content-type" not in sent:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse(
        self, status: HTTPStatus, code: str, message: str, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.close_connection = status in (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, HTTPStatus.LENGTH_REQUIRED)
        self._send(status.value, headers or [], _error_body(code, message))

    def _body(self) -> bytes | None:
        """The request's body (None after a refusal was sent)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "LengthRequired", "send the body with a Content-Length")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(HTTPStatus.BAD_REQUEST, "BadRequest", "Content-Length is not a number")
            return None
        if length > MAX_BODY_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "REQUEST_TOO_LARGE", "Request Too Long")
            return None
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        bridge = self.bridge
        body = self._body()
        if body is None:
            return
        if not bridge.authorized(self.headers.get("Authorization")):
            self._refuse(
                HTTPStatus.UNAUTHORIZED,
                "Unauthorized",
                "send Authorization: Bearer <the bridge's token>",
                [("WWW-Authenticate", "Bearer")],
            )
            return
        try:
            lowered = {name.lower(): value for name, value in self.headers.items()}
            bridge.check_signature(
                self.command, f"http://{self.headers.get('Host')}{self.path}", lowered, body
            )
        except Refused as refused:
            self._refuse(HTTPStatus.FORBIDDEN, refused.code, refused.message)
            return
        parts = urlsplit(self.path)
        stage_prefix = f"/{bridge.stage}"
        raw_path = parts.path
        if raw_path != stage_prefix and not raw_path.startswith(stage_prefix + "/"):
            self._refuse(HTTPStatus.NOT_FOUND, "RouteNotFound", f"the API is served under {stage_prefix}/")
            return
        path = unquote(raw_path[len(stage_prefix) :]) or "/"
        match = match_route(bridge.routes, self.command, path)
        if match is None:
            # API Gateway's answer for a resource or method the API does not have.
            self._refuse(HTTPStatus.FORBIDDEN, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
            return
        headers = [(name, value) for name, value in self.headers.items()]
        event = bridge.proxy_event(
            self.command, path, parts.query, headers, body, match, self.client_address[0]
        )
        status, answer_headers, answer = bridge.invoke(match, event)
        self._send(status, answer_headers, answer)

    def __getattr__(self, name: str) -> Any:
        """``do_<METHOD>`` for every method, standard or not: ANY routes take them all to the function (which
        answers 405 for one its route does not have), as on API Gateway."""
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)
