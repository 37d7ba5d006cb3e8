"""The emulated Batch data plane on a cluster with a real API server: each attempt's pod is created there by
Batch, which signs in as its service-linked role with an EKS token (aws-auth, or Batch's own access entry on
an API cluster, makes it the user ``aws-batch``; RBAC decides), on a registered Node, follows the job, and is
cleaned up after it.

What the pod looked like while the job ran is read by an observer of the RUNNING status (it runs on the
job's thread, before the status is published), never by sleeping and hoping.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from local.dataplane.jobs import EmulatedJob
from local.embedded_aws.server import EmbeddedAws
from local.kubernetes.client import KubeClient
from tests.emulator.kubernetes.eks_support import add_queue, unique
from tests.runs.batch_env import BatchOnEks, create_batch_on_eks

BOUND = 60.0  # an upper bound on every wait, never a synchronisation
BATCH_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "list", "watch", "delete", "patch"]}
]


@dataclass
class PodsWhileRunning:
    """The pod of each job, as the API server had it when the job turned RUNNING."""

    admin: KubeClient
    cluster_arn: str
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, job: EmulatedJob, detail: dict[str, Any]) -> None:
        if detail["status"] != "RUNNING" or job.cluster_arn != self.cluster_arn:
            return
        pod_name = detail["eksProperties"]["podProperties"]["podName"]
        pod = self.admin.get(f"/api/v1/namespaces/{job.namespace}/pods/{pod_name}")
        with self.lock:
            self.pods[job.job_id] = pod


@dataclass
class World:
    aws: EmbeddedAws
    env: BatchOnEks
    admin: KubeClient
    seen: PodsWhileRunning
    definition: str


@pytest.fixture(scope="module")
def world(aws: EmbeddedAws) -> Iterator[World]:
    env = create_batch_on_eks("pods-queue", namespace="batch-jobs")
    assert aws.kubernetes is not None
    cluster = aws.kubernetes.cluster_by_arn(env.cluster_arn)
    assert cluster is not None
    admin = KubeClient(cluster)
    map_batch_in_aws_auth(admin)
    seen = PodsWhileRunning(admin, env.cluster_arn)
    aws.batch.observers.append(seen)
    definition = env.register_job_definition(unique("echo"), ["sh", "-c", "echo hello from the pod"])
    yield World(aws, env, admin, seen, definition)
    aws.batch.observers.remove(seen)


def map_batch_in_aws_auth(admin: KubeClient) -> None:
    """aws-auth maps Batch's service-linked role to the user aws-batch, as the blueprint's does."""
    account = boto3.client("sts").get_caller_identity()["Account"]
    roles = f"- rolearn: arn:aws:iam::{account}:role/AWSServiceRoleForBatch\n  username: aws-batch\n"
    admin.create(
        "/api/v1/namespaces/kube-system/configmaps",
        {"metadata": {"name": "aws-auth"}, "data": {"mapRoles": roles}},
    )


def create_namespace(admin: KubeClient, name: str, *, grant_batch: bool) -> None:
    admin.create("/api/v1/namespaces", {"metadata": {"name": name}})
    if not grant_batch:
        return
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{name}"
    admin.create(f"{rbac}/roles", {"metadata": {"name": "aws-batch"}, "rules": BATCH_RULES})
    binding = {
        "metadata": {"name": "aws-batch"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "aws-batch"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "aws-batch"}],
    }
    admin.create(f"{rbac}/rolebindings", binding)


def run_job(world: World, queue: str | None = None) -> dict[str, Any]:
    job_id = boto3.client("batch").submit_job(
        jobName=unique("job"), jobQueue=queue or world.env.queue_name, jobDefinition=world.definition
    )["jobId"]
    assert world.aws.batch.done_event(job_id).wait(BOUND), f"job {job_id} did not end"
    job: dict[str, Any] = boto3.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
    return job


def test_a_job_runs_in_a_pod_batch_created_when_rbac_allows_it(world: World) -> None:
    # Given the job's namespace, where a Role lets user aws-batch manage pods
    create_namespace(world.admin, world.env.namespace, grant_batch=True)
    # When a job runs
    job = run_job(world)
    # Then it succeeds, and while it ran its pod was in the namespace, named and placed as Batch reports
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    attempt = job["eksAttempts"][0]
    pod = world.seen.pods[job["jobId"]]
    assert pod["metadata"]["name"] == attempt["podName"]
    assert pod["metadata"]["namespace"] == attempt["podNamespace"] == world.env.namespace
    assert pod["spec"]["nodeName"] == attempt["nodeName"]
    assert pod["status"]["phase"] == "Running"
    # And it carries Batch's labels, the node's uid among them
    labels = pod["metadata"]["labels"]
    assert labels["batch.amazonaws.com/job-id"] == job["jobId"]
    assert "batch.amazonaws.com/compute-environment-uuid" in labels
    node = world.admin.get(f"/api/v1/nodes/{attempt['nodeName']}")
    assert labels["batch.amazonaws.com/node-uid"] == node["metadata"]["uid"]
    # And the Node is registered, Ready, with Batch's taint
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"
    assert any(t["key"] == "batch.amazonaws.com/batch-node" for t in node["spec"]["taints"])
    # And the pod is gone once the job has ended, as Batch cleans up job pods
    assert (
        world.admin.get_or_none(f"/api/v1/namespaces/{world.env.namespace}/pods/{attempt['podName']}") is None
    )


def test_a_job_fails_with_rbacs_reason_when_batch_may_not_create_its_pod(world: World) -> None:
    # Given a compute environment on the same cluster whose namespace grants nothing to user aws-batch
    namespace, queue = unique("no-grant"), unique("denied-queue")
    add_queue(world.env.cluster_arn, queue, namespace)
    create_namespace(world.admin, namespace, grant_batch=False)
    # When a job is submitted there
    job = run_job(world, queue)
    # Then it fails, saying that the cluster refused the pod to aws-batch, and it never started
    assert job["status"] == "FAILED"
    assert 'User "aws-batch" cannot create resource "pods"' in job["statusReason"]
    assert f"in namespace {namespace}" in job["statusReason"]
    assert "startedAt" not in job
    assert job["eksAttempts"][0]["statusReason"] == job["statusReason"]


def _job_on_a_cluster_of_its_own(world: World, env: Any, command: str) -> dict[str, Any]:
    """A job run on ``env``'s queue once its namespace grants aws-batch pods: DescribeJobs at its end."""
    create_namespace(cluster_admin(world.aws, env.cluster_arn), env.namespace, grant_batch=True)
    definition = env.register_job_definition(unique("echo"), ["sh", "-c", command])
    job_id = boto3.client("batch").submit_job(
        jobName=unique("job"), jobQueue=env.queue_name, jobDefinition=definition
    )["jobId"]
    assert world.aws.batch.done_event(job_id).wait(BOUND)
    return dict(boto3.client("batch").describe_jobs(jobs=[job_id])["jobs"][0])


def test_batch_is_unauthorized_where_nothing_maps_its_role(world: World) -> None:
    # Given a cluster of its own whose namespace grants aws-batch pods, but no aws-auth (CONFIG_MAP mode)
    env = create_batch_on_eks(unique("unmapped-queue"), namespace="batch-jobs")
    # When a job is submitted there
    job = _job_on_a_cluster_of_its_own(world, env, "echo never")
    # Then it fails: the API server did not know Batch's token (401), the user aws-batch never existed there
    assert job["status"] == "FAILED"
    assert "401 Unauthorized" in job["statusReason"], job["statusReason"]


def test_on_an_api_cluster_batchs_own_access_entry_lets_it_in(world: World) -> None:
    # Given a cluster in API mode (no aws-auth at all), whose compute environment inherits Batch's entry
    env = create_batch_on_eks(unique("api-queue"), namespace="batch-jobs", authentication_mode="API")
    # When a job is submitted there
    job = _job_on_a_cluster_of_its_own(world, env, "echo through the entry")
    # Then it succeeds, its pod created by the user aws-batch, as the API server recorded it
    assert job["status"] == "SUCCEEDED", job.get("statusReason")
    pod_name = job["eksAttempts"][0]["podName"]
    assert world.aws.kubernetes is not None
    records = world.aws.kubernetes.audit_log(env.cluster_arn)
    created = [
        r
        for r in records
        if r["verb"] == "create"
        and (r.get("objectRef") or {}).get("name") == pod_name
        and r["responseStatus"]["code"] == 201  # not an attempt refused before the service account existed
    ]
    assert [r["user"]["username"] for r in created] == ["aws-batch"], [
        (r["user"]["username"], r["responseStatus"]) for r in records if r["verb"] == "create"
    ]
    # And nothing asked for aws-auth: the entry, not a ConfigMap, let Batch in
    assert not [r for r in records if (r.get("objectRef") or {}).get("name") == "aws-auth"]


def cluster_admin(aws: EmbeddedAws, cluster_arn: str) -> KubeClient:
    assert aws.kubernetes is not None
    cluster = aws.kubernetes.cluster_by_arn(cluster_arn)
    assert cluster is not None
    return KubeClient(cluster)
