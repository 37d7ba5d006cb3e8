"""A query-string-signed (presigned) request, such as the STS GetCallerIdentity URL inside an EKS token, is
routed to the service its credential scope names (``X-Amz-Credential=<key>/<date>/<region>/<service>/
aws4_request``) and answered for the access key that signed it. moto's server read both from the
Authorization header only: it sent a presigned GET to S3, and STS named every such caller ``user/moto``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from moto.core.responses import BaseResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_infer_service_region_host = DomainDispatcherApplication.infer_service_region_host
_get_access_key = BaseResponse.get_access_key


def _infer_presigned_service(self: DomainDispatcherApplication, environ: dict[str, Any], path: str) -> Any:
    if not environ.get("HTTP_AUTHORIZATION"):
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
        if credential:
            environ = {**environ, "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={credential[0]}, x"}
    return _infer_service_region_host(self, environ, path)


def _access_key_of_presigned(self: BaseResponse) -> str:
    """The access key of a presigned request is the first part of its X-Amz-Credential."""
    if "Authorization" not in self.headers:
        credential = parse_qs(self.parsed_url.query).get("X-Amz-Credential")
        if credential:
            return credential[0].split("/")[0]
    return str(_get_access_key(self))


def install() -> None:
    setattr(DomainDispatcherApplication, "infer_service_region_host", _infer_presigned_service)  # noqa: B010
    setattr(BaseResponse, "get_access_key", _access_key_of_presigned)  # noqa: B010
