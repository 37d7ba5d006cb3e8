"""moto 5.2.5's missing pieces of EKS, Batch, Step Functions, DynamoDB, IAM and CloudWatch, filled in where
they are missing: each module patches moto's classes in place for one gap (nothing is copied from moto).

What moto already does and is kept: EKS clusters, node groups and Fargate profiles (create, describe, list,
update, delete, tags); Batch compute environments, job queues and job definitions (``eksProperties``,
``retryStrategy`` with ``evaluateOnExit``, ``timeout`` and ``tags`` round-trip).

- :mod:`.eks_addons`, :mod:`.eks_access_entries` (with the cluster's ``accessConfig``),
  :mod:`.eks_pod_identity`: EKS APIs moto lacks;
- :mod:`.eks_cluster_security_group`: the security group EKS creates for each cluster;
- :mod:`.eks_versions`: EKS's Kubernetes versions from AWS's calendar, and clusters' upgrade policy;
- :mod:`.eks_lifecycle` and :mod:`.readiness`: clusters, node groups, add-ons and compute environments start
  in their creating status and become ready as :data:`.readiness.READINESS` says;
- :mod:`.eks_control_plane`: a real local API server's endpoint and CA per cluster, when the embedded AWS
  runs them;
- :mod:`.batch`: Batch compute environments on EKS; :mod:`.batch_access_entry`: Batch's own EKS access entry;
- :mod:`.step_functions`: unnamed executions, task tokens answered while the task's Lambda runs, a stop that
  ends a waiting task, SendTaskFailure's cause;
- :mod:`.step_functions_limits`: 25,000 history events, 256 KiB payloads, terminal errors, the API's lengths;
- :mod:`.dynamodb_item_size`: the 400 KB item size, as AWS counts it, on every write;
- :mod:`.dynamodb_transactions`: TransactWriteItems all or nothing on its own items, cancelled as AWS does;
- :mod:`.dynamodb_capacity`: the write units each write consumes, as AWS bills them (for ``make bench``);
- :mod:`.dynamodb_concurrency`: one request at a time, so a read never fails on a write under way;
- :mod:`.presigned_requests`: query-string-signed requests (the STS URL inside an EKS token);
- :mod:`.iam_service_linked_roles`: Batch's and EKS's service-linked roles named as AWS names them;
- :mod:`.iam_policy_attachments`: attaching a managed policy already attached changes nothing;
- :mod:`.eks_auth`: EKS Auth's AssumeRoleForPodIdentity, with the role's trust policy evaluated (used by the
  data plane's credential endpoints, not a route of the server);
- :mod:`.request_validation`: EKS and Batch requests checked against botocore's model;
- :mod:`.cloudwatch_dashboards`: PutDashboard refuses a name or a body AWS refuses.

:func:`install` must run before the moto server builds its EKS/Batch app (its first request for that
service), because the server reads the URL map only then.
"""

from __future__ import annotations

import threading

from local.embedded_aws.moto_gaps import (
    batch,
    batch_access_entry,
    cloudwatch_dashboards,
    dynamodb_capacity,
    dynamodb_concurrency,
    dynamodb_item_size,
    dynamodb_transactions,
    eks_access_entries,
    eks_addons,
    eks_cluster_security_group,
    eks_control_plane,
    eks_lifecycle,
    eks_pod_identity,
    eks_versions,
    iam_policy_attachments,
    iam_service_linked_roles,
    presigned_requests,
    request_validation,
    step_functions,
    step_functions_limits,
)

_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Patch moto (idempotent; call before the server handles its first request)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        eks_addons.install()
        eks_pod_identity.install()
        eks_access_entries.install()
        eks_versions.install()
        eks_cluster_security_group.install()
        # Both act on CreateCluster's and DescribeCluster's answers after the access config is set, and the
        # control plane last: a cluster whose server cannot start fails, whatever its readiness.
        eks_lifecycle.install()
        eks_control_plane.install()
        batch.install()
        batch_access_entry.install()  # wraps what batch.install() set
        step_functions.install()
        step_functions_limits.install()
        dynamodb_item_size.install()
        dynamodb_transactions.install()
        dynamodb_capacity.install()
        dynamodb_concurrency.install()
        presigned_requests.install()
        iam_service_linked_roles.install()
        iam_policy_attachments.install()
        request_validation.install()
        cloudwatch_dashboards.install()
        _installed = True
