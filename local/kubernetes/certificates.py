"""The key material one local API server needs, made with ``cryptography`` (no openssl or cfssl on the box).

Per cluster, as on EKS: its own CA (what DescribeCluster hands out as ``certificateAuthority.data``), a
serving certificate for ``127.0.0.1``/``localhost`` signed by it (clients verify the hostname), and the
service-account key pair (the apiserver verifies service-account tokens with the public half, the
controller-manager's token controller signs them with the private half). ECDSA P-256 throughout: a key
is made in well under a millisecond, where RSA 2048 costs tens, and Kubernetes 1.20 accepts it for TLS
and as ES256 for service-account tokens.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=30)
# Certificates start a little in the past: a client whose clock is slightly behind still accepts them.
BACKDATE = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class ClusterCertificates:
    """File paths for the server's flags, and the CA's PEM for clients."""

    ca_pem: str
    ca_file: Path
    serving_cert_file: Path
    serving_key_file: Path
    service_account_key_file: Path
    service_account_public_key_file: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + VALIDITY)
    )


def make_certificates(directory: Path, cluster_name: str) -> ClusterCertificates:
    """Write a fresh CA, serving certificate and service-account key pair for one cluster in ``directory``."""
    ca_key = _key()
    ca_name = _name(f"{cluster_name}-ca")
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    serving_key = _key()
    serving = (
        _builder(_name("kube-apiserver"), ca_name, serving_key.public_key())
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    account_key = _key()
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    files = {
        "ca.crt": ca_pem.encode(),
        "apiserver.crt": serving.public_bytes(serialization.Encoding.PEM),
        "apiserver.key": _key_pem(serving_key),
        "service-account.key": _key_pem(account_key),
        "service-account.pub": account_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    for name, content in files.items():
        path = directory / name
        path.write_bytes(content)
        path.chmod(0o600)
    return ClusterCertificates(
        ca_pem=ca_pem,
        ca_file=directory / "ca.crt",
        serving_cert_file=directory / "apiserver.crt",
        serving_key_file=directory / "apiserver.key",
        service_account_key_file=directory / "service-account.key",
        service_account_public_key_file=directory / "service-account.pub",
    )
