"""The EKS token against the (embedded) STS: its exact form, and a presigned GetCallerIdentity that STS
really answers, with the cluster header among the signed ones."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import requests

from batch_on_eks.aws.clients import client
from batch_on_eks.aws.eks_token import CLUSTER_HEADER, PREFIX, eks_token
from local.embedded_aws.server import EmbeddedAws


def decode(token: str) -> str:
    body = token.removeprefix(PREFIX)
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def test_the_token_has_the_exact_eks_form(aws: EmbeddedAws) -> None:
    # When a token is made for a cluster
    token = eks_token("doeks-aws-batch")
    # Then it is the prefix and unpadded base64url (no '=', '+' or '/')
    assert token.startswith(PREFIX)
    body = token.removeprefix(PREFIX)
    assert not set(body) & {"=", "+", "/"}
    # And it decodes to a presigned STS GetCallerIdentity URL that signs the cluster header
    url = urlsplit(decode(token))
    query = parse_qs(url.query)
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["Version"] == ["2011-06-15"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["60"]
    assert CLUSTER_HEADER in query["X-Amz-SignedHeaders"][0].split(";")
    assert "X-Amz-Signature" in query


def test_the_presigned_call_is_answered_by_sts_with_the_callers_identity(aws: EmbeddedAws) -> None:
    # Given a token, as the API server's authenticator receives it
    url = decode(eks_token("doeks-aws-batch"))
    # When the URL in it is called with the cluster header, as EKS's authenticator does
    response = requests.get(url, headers={CLUSTER_HEADER: "doeks-aws-batch"}, timeout=10)
    # Then STS answers with the caller's identity
    assert response.status_code == 200
    assert "GetCallerIdentityResult" in response.text
    assert f"<Account>{aws.account}</Account>" in response.text


def test_each_token_signs_its_own_cluster_and_leaves_no_handler_behind(aws: EmbeddedAws) -> None:
    # Given tokens for two clusters, made one after the other with the same (cached) STS client
    first, second = eks_token("doeks-aws-batch"), eks_token("doeks-other")
    # Then each is signed for its own cluster: the signatures differ
    signatures = [parse_qs(urlsplit(decode(token)).query)["X-Amz-Signature"] for token in (first, second)]
    assert signatures[0] != signatures[1]
    # And a plain GetCallerIdentity on that client afterwards carries no cluster header
    sent: list[dict[str, str]] = []
    shared = client("sts")
    event = "before-send.sts.GetCallerIdentity"
    shared.meta.events.register(
        event, lambda request, **_: sent.append(dict(request.headers)), unique_id="probe"
    )
    try:
        shared.get_caller_identity()
    finally:
        shared.meta.events.unregister(event, unique_id="probe")
    assert sent
    assert all(CLUSTER_HEADER not in headers for headers in sent)
