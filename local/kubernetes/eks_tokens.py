"""Checking an EKS bearer token the way EKS's authenticator does, against the embedded AWS.

A token is ``k8s-aws-v1.`` + unpadded base64url of a presigned STS GetCallerIdentity URL whose signed
headers include ``x-k8s-aws-id: <cluster name>``. It is accepted only when:

- its form is exact (prefix, unpadded base64url, an STS GetCallerIdentity URL on the embedded AWS);
- it was signed at most 15 minutes ago and not in the future (beyond a small clock skew); the URL's own
  ``X-Amz-Expires`` (60 s from ``aws eks get-token`` and from our adapter) is not what bounds it, as on EKS;
- ``x-k8s-aws-id`` is among the signed headers, and the signature is valid *for this cluster's name*:
  the header's value is not in the URL, so a token signed for another cluster fails here;
- the SigV4 signature recomputes (botocore's own signer) with the secret the embedded AWS holds for the
  access key, and a session token, when there is one, is the one issued with that key. moto's STS answers
  a presigned call without checking its signature; this check is what makes a tampered token fail.

Then, as EKS does, the URL is called (with the cluster header) and STS says who signed it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests
from botocore.auth import SIGV4_TIMESTAMP, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

logger = logging.getLogger(__name__)

PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
MAX_AGE = datetime.timedelta(minutes=15)
CLOCK_SKEW = datetime.timedelta(minutes=5)
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_STS_TIMEOUT_SECONDS = 5.0


class TokenRejected(Exception):
    """Why a token is not accepted (logged; the API server answers 401)."""


@dataclass(frozen=True)
class Caller:
    """Who signed a token, as STS GetCallerIdentity answers."""

    arn: str
    user_id: str
    account: str
    access_key_id: str


@dataclass(frozen=True)
class KnownKey:
    secret_access_key: str
    session_token: str | None


def _moto_key(access_key_id: str) -> KnownKey | None:
    """The secret moto issued with an assumed-role or IAM user access key."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account in list(sts_backends):
        for backend in list(sts_backends[account].values()):
            for role in list(backend.assumed_roles):
                if role.access_key_id == access_key_id:
                    return KnownKey(role.secret_access_key, role.session_token)
    for account in list(iam_backends):
        for iam in list(iam_backends[account].values()):
            for user in list(iam.users.values()):
                for key in list(user.access_keys):
                    if key.access_key_id == access_key_id:
                        return KnownKey(key.secret_access_key, None)
    return None


def known_keys(own: dict[str, KnownKey]) -> Callable[[str], KnownKey | None]:
    """Where the secret of an access key is found: ``own`` (the credentials the embedded AWS gives the
    process, captured when it started: a function's handler may run with its role's meanwhile), the
    process's current credentials, else a key moto issued (AssumeRole, CreateAccessKey)."""

    def key_for(access_key_id: str) -> KnownKey | None:
        if access_key_id in own:
            return own[access_key_id]
        if access_key_id and access_key_id == os.environ.get("AWS_ACCESS_KEY_ID"):
            return KnownKey(os.environ.get("AWS_SECRET_ACCESS_KEY", ""), os.environ.get("AWS_SESSION_TOKEN"))
        return _moto_key(access_key_id)

    return key_for


def sign_token(cluster_name: str, sts_endpoint: str, region: str, credentials: Credentials) -> str:
    """A token for ``cluster_name``, as ``aws eks get-token`` makes one: a GetCallerIdentity URL of
    ``sts_endpoint`` presigned with ``credentials`` for 60 seconds, ``x-k8s-aws-id`` among its signed
    headers."""
    request = AWSRequest(
        method="GET",
        url=f"{sts_endpoint.rstrip('/')}/?Action=GetCallerIdentity&Version=2011-06-15",
        headers={CLUSTER_HEADER: cluster_name},
    )
    SigV4QueryAuth(credentials, "sts", region, expires=60).add_auth(request)
    return PREFIX + base64.urlsafe_b64encode(request.url.encode()).decode().rstrip("=")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class EksTokenVerifier:
    """Verifies tokens for one cluster; ``sts_endpoint`` is the embedded AWS's URL (the one STS it trusts)."""

    def __init__(
        self,
        cluster_name: str,
        sts_endpoint: str,
        *,
        key_for: Callable[[str], KnownKey | None] | None = None,
        clock: Callable[[], datetime.datetime] = _now,
    ):
        self.cluster_name = cluster_name
        self._sts = urlsplit(sts_endpoint)
        self._key_for = key_for or known_keys({})
        self._clock = clock

    def caller(self, token: str) -> Caller:
        """Who signed ``token`` for this cluster, or :class:`TokenRejected` saying why not."""
        url = self._url_in(token)
        parts = urlsplit(url)
        query = {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        self._check_target(parts.scheme, parts.netloc, query)
        self._check_age(query)
        access_key_id, region = self._check_signature(url, query)
        return self._ask_sts(url, access_key_id, region)

    # -- the checks, in the order EKS makes them ---------------------------------------------------------
    @staticmethod
    def _url_in(token: str) -> str:
        if not token.startswith(PREFIX):
            raise TokenRejected(f"the token does not start with {PREFIX}")
        body = token.removeprefix(PREFIX)
        if not _BASE64URL.match(body):
            raise TokenRejected("the token is not unpadded base64url")
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise TokenRejected(f"the token does not decode: {error}") from None

    def _check_target(self, scheme: str, netloc: str, query: dict[str, str]) -> None:
        if (scheme, netloc) != (self._sts.scheme, self._sts.netloc):
            raise TokenRejected(f"the URL does not point at the embedded STS ({scheme}://{netloc})")
        if query.get("Action") != "GetCallerIdentity":
            raise TokenRejected("the URL is not an STS GetCallerIdentity call")
        if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise TokenRejected("the URL is not signed with SigV4 in its query string")
        signed = query.get("X-Amz-SignedHeaders", "").split(";")
        if CLUSTER_HEADER not in signed:
            raise TokenRejected(f"{CLUSTER_HEADER} is not among the signed headers")

    def _check_age(self, query: dict[str, str]) -> None:
        try:
            signed_at = datetime.datetime.strptime(query.get("X-Amz-Date", ""), SIGV4_TIMESTAMP)
        except ValueError:
            raise TokenRejected("X-Amz-Date is missing or malformed") from None
        signed_at = signed_at.replace(tzinfo=datetime.UTC)
        now = self._clock()
        if now - signed_at > MAX_AGE:
            raise TokenRejected(
                f"the token expired: signed at {signed_at:%H:%M:%S}Z, more than 15 minutes ago"
            )
        if signed_at - now > CLOCK_SKEW:
            raise TokenRejected(f"the token is signed in the future ({signed_at:%H:%M:%S}Z)")

    def _check_signature(self, url: str, query: dict[str, str]) -> tuple[str, str]:
        scope = query.get("X-Amz-Credential", "").split("/")
        if len(scope) != 5 or scope[3] != "sts" or scope[4] != "aws4_request":
            raise TokenRejected("X-Amz-Credential is not an STS credential scope")
        access_key_id, _, region = scope[0], scope[1], scope[2]
        key = self._key_for(access_key_id)
        if key is None:
            raise TokenRejected(f"unknown access key {access_key_id}")
        if key.session_token is not None and query.get("X-Amz-Security-Token") != key.session_token:
            raise TokenRejected("the session token is not the one issued with the access key")
        parts = urlsplit(url)
        given = ""
        unsigned_pairs = []
        for pair in parts.query.split("&"):
            if pair.startswith("X-Amz-Signature="):
                given = pair.partition("=")[2]
            else:
                unsigned_pairs.append(pair)
        unsigned_url = urlunsplit(parts._replace(query="&".join(unsigned_pairs)))
        # Sign the same request again, with this cluster's name in the header, at the token's own time.
        request = AWSRequest(method="GET", url=unsigned_url, headers={CLUSTER_HEADER: self.cluster_name})
        request.context["timestamp"] = query["X-Amz-Date"]
        credentials = Credentials(access_key_id, key.secret_access_key, key.session_token)
        signer = SigV4QueryAuth(credentials, "sts", region, expires=int(query.get("X-Amz-Expires", "60")))
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        if not hmac.compare_digest(expected, given):
            raise TokenRejected(
                f"the signature does not match (a tampered token, or one signed for another cluster than "
                f"{self.cluster_name!r})"
            )
        return access_key_id, region

    def _ask_sts(self, url: str, access_key_id: str, region: str) -> Caller:
        try:
            answer = requests.get(
                url, headers={CLUSTER_HEADER: self.cluster_name}, timeout=_STS_TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            raise TokenRejected(f"STS did not answer: {type(error).__name__}") from None
        if answer.status_code != 200:
            raise TokenRejected(f"STS refused the call: {answer.status_code}")
        fields = {
            name: re.search(rf"<{name}>([^<]+)</{name}>", answer.text)
            for name in ("Arn", "UserId", "Account")
        }
        found = {name: match.group(1) for name, match in fields.items() if match}
        if len(found) != len(fields):
            raise TokenRejected("STS's answer lacks the caller's Arn, UserId or Account")
        return Caller(found["Arn"], found["UserId"], found["Account"], access_key_id)
