"""Shared by the tests of the Kubernetes client and of the batch access it writes: a real kube-apiserver
with RBAC (``local.kubernetes``) that knows two bearer tokens, and TLS certificates from a CA of the test's
own."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

ADMIN_TOKEN = "test-admin-token"
NODE_GROUP_USER_TOKEN = "test-nobody-token"


@contextmanager
def kubernetes_cluster(name: str) -> Iterator[Any]:
    """A real kube-apiserver where ADMIN_TOKEN is a cluster admin (system:masters) and
    NODE_GROUP_USER_TOKEN is the user ``nobody``, in no group; any other token is refused."""
    from local.kubernetes import Identity, KubernetesCluster

    def authenticate(token: str) -> Identity | None:
        if token == ADMIN_TOKEN:
            return Identity(username="test-admin", uid="test-admin", groups=("system:masters",))
        if token == NODE_GROUP_USER_TOKEN:
            return Identity(username="nobody", uid="nobody", groups=())
        return None

    started = KubernetesCluster.start(name=name, authenticate=authenticate)
    try:
        yield started
    finally:
        started.stop()


def b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def another_ca_pem() -> str:
    """A CA certificate that did not sign the server's certificate."""
    return server_certificate()[0]


def server_certificate() -> tuple[str, str, str]:
    """A new CA, and a server certificate it signed for 127.0.0.1: (CA PEM, certificate PEM, key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from cryptography.x509.oid import NameOID

    def certificate(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> Any:
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("test-ca", ca_key, "test-ca", ca_key, ca=True)
    server = certificate("test-server", server_key, "test-ca", ca_key, ca=False)
    key_pem = server_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return ca.public_bytes(Encoding.PEM).decode(), server.public_bytes(Encoding.PEM).decode(), key_pem
