"""Everything an environment can leave behind in AWS, listed by name: how the demo shows that teardown left
nothing (the blueprint's ``cleanup.sh`` asked the reader to check the CloudWatch console by hand)."""

from __future__ import annotations

import re

from local.embedded_aws.server import EmbeddedAws

CONTAINER_INSIGHTS_PREFIX = "/aws/containerinsights/"
# The environments' job roles' path, /<ResourcePrefix>-jobs/ (environment_names.job_role_path), of any stack.
JOB_ROLE_PATH = re.compile(r"/[a-z][a-z0-9]{1,15}-jobs/")


def inventory(aws: EmbeddedAws) -> dict[str, list[str]]:
    """EKS clusters, node groups, add-ons and the security groups EKS made for clusters; Batch compute
    environments, job queues, ACTIVE job definitions; Container Insights log groups; the environments' job
    roles (path and name). Each as sorted names."""
    eks, batch, logs, ec2 = (aws.client(service) for service in ("eks", "batch", "logs", "ec2"))
    roles = [r for page in aws.client("iam").get_paginator("list_roles").paginate() for r in page["Roles"]]
    clusters = sorted(eks.list_clusters()["clusters"])
    groups = logs.describe_log_groups(logGroupNamePrefix=CONTAINER_INSIGHTS_PREFIX)["logGroups"]
    return {
        "EKS clusters": clusters,
        "node groups": sorted(
            f"{c}/{n}" for c in clusters for n in eks.list_nodegroups(clusterName=c)["nodegroups"]
        ),
        "add-ons": sorted(f"{c}/{a}" for c in clusters for a in eks.list_addons(clusterName=c)["addons"]),
        "cluster security groups": sorted(
            g["GroupName"]
            for g in ec2.describe_security_groups(
                Filters=[{"Name": "tag-key", "Values": ["aws:eks:cluster-name"]}]
            )["SecurityGroups"]
        ),
        "compute environments": sorted(
            ce["computeEnvironmentName"]
            for ce in batch.describe_compute_environments()["computeEnvironments"]
        ),
        "job queues": sorted(q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]),
        "ACTIVE job definitions": sorted(
            f"{d['jobDefinitionName']}:{d['revision']}"
            for d in batch.describe_job_definitions(status="ACTIVE")["jobDefinitions"]
        ),
        "Container Insights log groups": sorted(g["logGroupName"] for g in groups),
        "job roles": sorted(
            f"{r['Path']}{r['RoleName']}" for r in roles if JOB_ROLE_PATH.fullmatch(r["Path"])
        ),
    }
