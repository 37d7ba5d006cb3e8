"""A real Kubernetes control plane for one (emulated) EKS cluster: kube-apiserver with RBAC, and
kube-controller-manager, on the process's shared etcd under the cluster's own prefix.

    cluster = KubernetesCluster.start("doeks-aws-batch", authenticate)
    cluster.endpoint, cluster.ca_pem, cluster.admin_token
    cluster.stop()

Every request is recorded in the server's own audit log (``--audit-log-path``, level Metadata: who, the verb,
the object, the answer's code), which :meth:`KubernetesCluster.audit_log` reads, also once the cluster has
stopped: what a test asserts about the requests a cluster got (none for ``kube-system/aws-auth``, say) is
what the API server itself saw.

Who a request is: a static token file holds one random admin token (group ``system:masters``, the
emulator's own way in, like EKS's cluster-creator admin); every other bearer token goes to a TokenReview
webhook in this process that asks ``authenticate`` (see :mod:`local.kubernetes.webhook`). What they may do
is decided by the server's own RBAC authorizer, for real.

The controller-manager runs only the controllers whose effects our code relies on: namespaces really
delete (the namespace controller empties them first), every namespace gets its ``default`` service
account and its token (pods cannot be created without them), ownerReferences are collected, and the
built-in aggregated ClusterRoles (admin, edit, view) get their rules. No scheduler and no kubelet: the
emulated data plane binds pods to nodes itself and reports their status (:mod:`local.kubernetes.pods`).
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import requests

from local.kubernetes.binaries import find_binaries
from local.kubernetes.certificates import ClusterCertificates, make_certificates
from local.kubernetes.etcd import ETCD
from local.kubernetes.ports import LOOPBACK, free_port
from local.kubernetes.processes import Child
from local.kubernetes.webhook import Authenticate, TokenReviewServer

READY_BOUND_SECONDS = 90.0
ADMIN_USER = "kubernetes-admin"
SERVICE_CIDR = "10.100.0.0/16"  # EKS's default service range
CONTROLLERS = "namespace,serviceaccount,serviceaccount-token,garbagecollector,clusterrole-aggregation"
# Metadata for every request, recorded once its answer is known.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted", "Panic"],
    "rules": [{"level": "Metadata"}],
}


class KubernetesStartFailed(RuntimeError):
    pass


def _kubeconfig(server: str, token: str | None, ca_file: Path | None) -> str:
    """A kubeconfig in JSON (a YAML subset), so no YAML writer is needed."""
    cluster = {"server": server, **({"certificate-authority": str(ca_file)} if ca_file else {})}
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "local", "cluster": cluster}],
            "users": [{"name": "local", "user": {"token": token} if token else {}}],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": "local"}}],
            "current-context": "local",
        }
    )


class KubernetesCluster:
    """One cluster's processes and how to reach it (use :meth:`start`)."""

    def __init__(self, name: str, authenticate: Authenticate):
        """Prepare and launch the processes without waiting for them (:meth:`wait_ready` waits).

        The endpoint and CA are known at once, which lets CreateCluster answer while the server boots.
        """
        self.name = name
        self.directory = Path(tempfile.mkdtemp(prefix=f"batch-on-eks-k8s-{name}-"))
        self.admin_token = secrets.token_urlsafe(32)
        self.port = free_port()
        self.endpoint = f"https://{LOOPBACK}:{self.port}"
        self.certificates: ClusterCertificates = make_certificates(self.directory, name)
        self.ca_pem = self.certificates.ca_pem
        self.webhook = TokenReviewServer(authenticate)
        self.started_at = time.monotonic()
        self.ready_seconds: float | None = None
        self._apiserver: Child | None = None
        self._controller_manager: Child | None = None
        self._stopped = False
        self._audit_log = self.directory / "audit.log"
        self._kept_audit: list[dict[str, object]] | None = None  # read at stop, before the files go
        try:
            self._apiserver = Child(
                "kube-apiserver", self._apiserver_argv(), self.directory / "apiserver.log"
            )
            self._controller_manager = Child(
                "kube-controller-manager", self._controller_manager_argv(), self.directory / "controllers.log"
            )
        except BaseException:
            self.stop()
            raise

    @classmethod
    def start(cls, name: str, authenticate: Authenticate) -> KubernetesCluster:
        """A running, ready cluster (``/readyz`` answered ok)."""
        cluster = cls(name, authenticate)
        try:
            cluster.wait_ready()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    # -- processes -------------------------------------------------------------------------------------
    def _apiserver_argv(self) -> list[str]:
        binaries = find_binaries()
        certs = self.certificates
        tokens = self.directory / "tokens.csv"
        tokens.write_text(f'{self.admin_token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        tokens.chmod(0o600)
        webhook = self.directory / "token-webhook.kubeconfig"
        webhook.write_text(_kubeconfig(self.webhook.url, None, None))  # loopback HTTP, no credentials
        audit_policy = self.directory / "audit-policy.json"
        audit_policy.write_text(json.dumps(AUDIT_POLICY))
        return [
            str(binaries.kube_apiserver),
            f"--etcd-servers={ETCD.url()}",
            f"--etcd-prefix=/clusters/{self.name}-{secrets.token_hex(4)}",
            f"--bind-address={LOOPBACK}",
            f"--advertise-address={LOOPBACK}",
            f"--secure-port={self.port}",
            "--insecure-port=0",
            f"--tls-cert-file={certs.serving_cert_file}",
            f"--tls-private-key-file={certs.serving_key_file}",
            f"--client-ca-file={certs.ca_file}",
            "--authorization-mode=RBAC",
            f"--token-auth-file={tokens}",
            f"--authentication-token-webhook-config-file={webhook}",
            "--authentication-token-webhook-version=v1",
            # Every token is asked about: access entries and aws-auth edits take effect at once.
            "--authentication-token-webhook-cache-ttl=0s",
            f"--service-account-key-file={certs.service_account_public_key_file}",
            f"--service-account-signing-key-file={certs.service_account_key_file}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--audit-policy-file={audit_policy}",
            f"--audit-log-path={self._audit_log}",
            "--audit-log-mode=blocking",  # each request's record written before its answer
            "--enable-priority-and-fairness=false",  # fewer background writes; a test server needs no APF
            "--profiling=false",
            "--logtostderr=true",
            "--v=0",
        ]

    def _controller_manager_argv(self) -> list[str]:
        kubeconfig = self.directory / "controller-manager.kubeconfig"
        kubeconfig.write_text(_kubeconfig(self.endpoint, self.admin_token, self.certificates.ca_file))
        kubeconfig.chmod(0o600)
        return [
            str(find_binaries().kube_controller_manager),
            f"--kubeconfig={kubeconfig}",
            f"--controllers={CONTROLLERS}",
            f"--service-account-private-key-file={self.certificates.service_account_key_file}",
            f"--root-ca-file={self.certificates.ca_file}",
            "--use-service-account-credentials=false",
            "--leader-elect=false",
            "--port=0",  # no insecure port (10252 would clash between clusters)
            "--secure-port=0",  # nor a serving port: nothing asks it anything
            "--logtostderr=true",
            "--v=0",
        ]

    # -- readiness -------------------------------------------------------------------------------------
    def wait_ready(self, bound_seconds: float = READY_BOUND_SECONDS) -> None:
        """Wait for ``/readyz``; :class:`KubernetesStartFailed` with the server's log tail after the bound."""
        if self.ready_seconds is not None:
            return
        deadline = self.started_at + bound_seconds
        last = "no answer yet"
        while time.monotonic() < deadline:
            assert self._apiserver is not None
            if self._apiserver.exited() is not None:
                last = f"kube-apiserver exited with code {self._apiserver.exited()}"
                break
            try:
                answer = requests.get(
                    f"{self.endpoint}/readyz",
                    headers={"Authorization": f"Bearer {self.admin_token}"},
                    verify=str(self.certificates.ca_file),
                    timeout=2,
                )
                if answer.status_code == 200:
                    self.ready_seconds = time.monotonic() - self.started_at
                    return
                last = f"/readyz answered {answer.status_code}: {answer.text[-300:]}"
            except requests.RequestException as error:
                last = f"{type(error).__name__}"
            time.sleep(0.1)
        tail = self._apiserver.log_tail() if self._apiserver else ""
        raise KubernetesStartFailed(
            f"kube-apiserver for cluster {self.name!r} not ready within {bound_seconds:.0f} s ({last}); "
            f"its log ({self.directory / 'apiserver.log'}) ends:\n{tail}"
        )

    # -- the audit log -----------------------------------------------------------------------------------
    def audit_log(self) -> list[dict[str, object]]:
        """Every request the API server has recorded (audit events, oldest first), while it runs or after."""
        if self._kept_audit is not None:
            return list(self._kept_audit)
        try:
            lines = self._audit_log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        records = []
        for index, line in enumerate(lines):
            try:
                records.append(json.loads(line))
            except ValueError:
                if index < len(lines) - 1:
                    raise
                # the line being written when the log was read (or when the server stopped)
        return records

    # -- end ---------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the controller-manager and the apiserver (no process survives) and the webhook; the audit
        log is kept in memory."""
        if self._stopped:
            return
        self._stopped = True
        for child in (self._controller_manager, self._apiserver):
            if child is not None:
                child.stop()
        self.webhook.stop()
        self._kept_audit = self.audit_log()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> KubernetesCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
