"""The EKS token source: a cluster's token is reused for at most fourteen minutes, and signed anew when
the credentials change."""

from __future__ import annotations

from batch_on_eks.aws.eks_token import REUSE_SECONDS, TokenSource


def test_a_token_is_reused_for_at_most_fourteen_minutes() -> None:
    # Given a token source on a clock the test moves
    now = [1000.0]
    signed: list[str] = []

    def sign(cluster: str) -> str:
        signed.append(cluster)
        return f"token-{len(signed)}"

    source = TokenSource(sign=sign, clock=lambda: now[0])
    # When tokens are asked for across 14 minutes, and for another cluster
    first = source.token("a")
    now[0] += REUSE_SECONDS - 1
    again = source.token("a")
    other = source.token("b")
    now[0] += 1
    renewed = source.token("a")
    # Then a cluster's token is reused until 14 minutes have passed, and each cluster has its own
    assert first == again == "token-1"
    assert other == "token-2"
    assert renewed == "token-3"
    assert REUSE_SECONDS == 14 * 60


def test_new_credentials_get_a_new_token() -> None:
    # Given a token source whose signing identity changes (credentials renewed, or another function's)
    who = ["AKIA-FIRST"]
    signed: list[str] = []

    def sign(cluster: str) -> str:
        signed.append(f"{cluster}:{who[0]}")
        return signed[-1]

    source = TokenSource(sign=sign, clock=lambda: 0.0, identity=lambda: who[0])
    first = source.token("a")
    who[0] = "AKIA-SECOND"
    # When a token is asked for the same cluster, within the reuse window
    second = source.token("a")
    # Then it is signed anew with the new credentials, never the old token
    assert (first, second) == ("a:AKIA-FIRST", "a:AKIA-SECOND")
