"""The stack a client talks to: its outputs (CloudFormation), its REST API (SigV4-signed requests) and its
executions' history (Step Functions), through one boto3 session (the standard credential chain)."""

from __future__ import annotations

import json
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

REQUIRED_OUTPUTS = ("ApiUrl",)
TIMEOUT_SECONDS = 30


class UsageError(Exception):
    """Bad input or a setting the client cannot use: one line, exit code 2."""


class ApiError(UsageError):
    """The API refused the request (4xx): its ``{"code", "message", "field"}``."""

    def __init__(self, status: int, answer: dict[str, Any]):
        self.status = status
        self.code = str(answer.get("code") or status)
        field = f" (field {answer['field']})" if answer.get("field") else ""
        super().__init__(f"{self.code}: {answer.get('message') or 'no message'}{field}")


def samconfig_defaults(path: Path = Path("samconfig.toml")) -> dict[str, str]:
    """The stack name and region ``sam deploy`` uses, from samconfig.toml (its global, then deploy, table)."""
    if not path.is_file():
        return {}
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8")).get("default", {})
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from None
    found: dict[str, str] = {}
    for table in ("global", "deploy"):
        parameters = config.get(table, {}).get("parameters", {})
        found.update({k: str(parameters[k]) for k in ("stack_name", "region") if k in parameters})
    return found


@dataclass
class Connection:
    session: boto3.Session
    stack: str
    outputs: dict[str, str]
    api_url: str

    @classmethod
    def open(
        cls, stack: str | None, profile: str | None, region: str | None, api_url: str | None
    ) -> Connection:
        defaults = samconfig_defaults()
        stack = stack or defaults.get("stack_name")
        if not stack:
            raise UsageError("no stack: give --stack NAME (or run where samconfig.toml names one)")
        try:
            session = boto3.Session(profile_name=profile, region_name=region or defaults.get("region"))
        except ProfileNotFound as error:
            raise UsageError(str(error)) from None
        if session.region_name is None:
            raise UsageError("no region: give --region, set AWS_REGION, or a region in your profile")
        if session.get_credentials() is None:
            raise UsageError(
                "no AWS credentials: set a profile (--profile, AWS_PROFILE), AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or run where an instance or SSO role provides them"
            )
        outputs = cls._outputs(session, stack)
        missing = [name for name in REQUIRED_OUTPUTS if name not in outputs and not api_url]
        if missing:
            raise UsageError(
                f"stack {stack} has no output {', '.join(missing)}: is it the batch-on-eks control plane?"
            )
        url = (api_url or outputs["ApiUrl"]).rstrip("/")
        if urlsplit(url).scheme not in ("https", "http"):
            raise UsageError(f"the API's URL {url!r} is not an http(s) URL")
        return cls(session, stack, outputs, url)

    @staticmethod
    def _outputs(session: boto3.Session, stack: str) -> dict[str, str]:
        try:
            stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        except NoCredentialsError:
            raise UsageError("no AWS credentials found (profile, environment or role)") from None
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", str(error))
            raise UsageError(f"stack {stack}: {message}") from None
        except BotoCoreError as error:
            raise UsageError(f"stack {stack}: {error}") from None
        return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, query: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One SigV4-signed request to the API; its JSON answer. A 4xx raises ApiError."""
        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        credentials = self.session.get_credentials()
        if credentials is None:
            raise UsageError("no AWS credentials to sign the request with")
        region = self._api_region()
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
        # http(s) only: Connection.open refuses any other scheme.
        sent = urllib.request.Request(url, data=data, headers=dict(request.headers.items()), method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(sent, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                return dict(json.loads(answer.read() or b"{}"))
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = {"message": text.decode(errors="replace")[:200]}
            if 400 <= error.code < 500:
                raise ApiError(error.code, parsed if isinstance(parsed, dict) else {}) from None
            raise RuntimeError(f"the API answered {error.code}: {parsed}") from None
        except urllib.error.URLError as error:
            raise UsageError(f"cannot reach the API at {self.api_url}: {error.reason}") from None

    def _api_region(self) -> str:
        """The region in an execute-api host name (``<id>.execute-api.<region>.amazonaws.com``), else the
        session's."""
        host = urlsplit(self.api_url).hostname or ""
        parts = host.split(".")
        if len(parts) > 3 and parts[1] == "execute-api":
            return parts[2]
        return str(self.session.region_name)

    def history(self, execution_arn: str, after: int) -> list[dict[str, Any]]:
        """The execution's history events with an id above ``after``, oldest first."""
        sfn = self.session.client("stepfunctions")
        events: list[dict[str, Any]] = []
        token = None
        while True:
            page = sfn.get_execution_history(
                executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
            )
            events += [e for e in page["events"] if e["id"] > after]
            token = page.get("nextToken")
            if not token:
                return events
