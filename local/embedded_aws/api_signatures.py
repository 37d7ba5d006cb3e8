"""API Gateway's AWS_IAM authorization, as the local API bridge applies it: a request must be signed with
Signature Version 4 for the service ``execute-api``, by a key the embedded AWS issued or the process's own.

The rules are AWS's ("Signing AWS API requests",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html, and API Gateway's "Control access to
a REST API with IAM permissions",
https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html): no ``Authorization`` header
is API Gateway's 403 ``MISSING_AUTHENTICATION_TOKEN``; a signature that does not match the request (another
body, path, query or signed header), a credential scoped to another service, a key nobody issued, a session
token that is not the key's, or a request time more than 5 minutes from now is 403 ``INVALID_SIGNATURE``.
The signature is computed again with botocore's own signer, from the request as received.

Not emulated: IAM policies (any known key may call), and the ``ACCESS_DENIED`` they would give.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.kubernetes.eks_tokens import KnownKey

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
MAX_SKEW_SECONDS = 300


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code  # API Gateway's gateway response type
        self.message = message


def _fields(authorization: str) -> dict[str, str]:
    parts = authorization[len(ALGORITHM) :].split(",")
    return {key.strip(): value.strip() for key, _, value in (p.partition("=") for p in parts)}


def check_signature(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    key_for: Callable[[str], KnownKey | None],
    now: datetime | None = None,
) -> str:
    """The access key id that signed the request; ``Refused`` when API Gateway would refuse it.
    ``headers``: the request's, names in lower case; ``url``: as the client addressed it (scheme, host, path
    and query)."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith(ALGORITHM + " "):
        raise Refused("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    fields = _fields(authorization)
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or "SignedHeaders" not in fields:
        raise Refused(
            "INVALID_SIGNATURE", "Authorization header requires Credential, SignedHeaders, Signature."
        )
    access_key_id, _day, region, service, _ = scope
    if service != SERVICE:
        raise Refused("INVALID_SIGNATURE", f"Credential should be scoped to correct service: '{SERVICE}'.")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Refused("INVALID_SIGNATURE", "Authorization requires a valid X-Amz-Date header.") from None
    if abs(((now or datetime.now(UTC)) - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise Refused("INVALID_SIGNATURE", f"Signature expired: {amz_date} is more than 5 minutes from now.")
    key = key_for(access_key_id)
    token = headers.get("x-amz-security-token")
    if key is None or (key.session_token is not None and token != key.session_token):
        raise Refused("INVALID_SIGNATURE", "The security token included in the request is invalid.")
    signed = fields["SignedHeaders"].split(";")
    request = AWSRequest(method=method, url=url, data=body, headers={h: headers.get(h, "") for h in signed})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key_id, key.secret_access_key, key.session_token), service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, fields.get("Signature", "")):
        raise Refused(
            "INVALID_SIGNATURE",
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method.",
        )
    return access_key_id
