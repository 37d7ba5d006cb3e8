"""``make demo``: the blueprint's hello-world job on the embedded AWS, without an AWS account.

This first version stands up what the blueprint's Terraform would (an EKS cluster, an on-demand compute
environment on it in the ``doeks-aws-batch`` namespace, the ``<name>-JQ1_OD`` queue and the
``<name>-hello-world`` job definition) directly with boto3 in the embedded AWS, deploys ``template.yaml``
into it, and runs the hello-world job: its real command, confined. Each status is printed as its
"Batch Job State Change" event is emitted, then the pod, the node and the job's log lines from CloudWatch
Logs. Later versions drive the control plane's own state machines instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from local.dataplane.jobs import EmulatedJob, Timings
from local.embedded_aws import REPO_ROOT, EmbeddedAws

NAME = "doeks-aws-batch"
NAMESPACE = "doeks-aws-batch"
HELLO_WORLD = {
    "name": "application-hello",
    "image": "public.ecr.aws/amazonlinux/amazonlinux:2023",
    "command": ["/bin/sh", "-c", "sleep 30 && echo 'Hello World!'"],
    "resources": {"limits": {"cpu": "1", "memory": "1024Mi"}, "requests": {"cpu": "1", "memory": "1024Mi"}},
}


def say(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {message}", flush=True)


def blueprint_environment(aws: EmbeddedAws) -> tuple[str, str, str]:
    """What the blueprint's Terraform creates, made directly: (cluster ARN, queue, job definition ARN)."""
    ec2, iam, eks, batch = (aws.client(s) for s in ("ec2", "iam", "eks", "batch"))
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.128.0/18")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"{NAME}-nodes", Description="nodes", VpcId=vpc)["GroupId"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    role = iam.create_role(RoleName=f"{NAME}-cluster", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    cluster = eks.create_cluster(name=NAME, roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})[
        "cluster"
    ]
    say(f"EKS cluster {NAME} created")
    profile = iam.create_instance_profile(InstanceProfileName=f"{NAME}-batch")["InstanceProfile"]["Arn"]
    batch.create_compute_environment(
        computeEnvironmentName=f"{NAME}-CE1_OD",
        type="MANAGED",
        state="ENABLED",
        computeResources={
            "type": "EC2",
            "minvCpus": 0,
            "maxvCpus": 256,
            "instanceTypes": ["optimal"],
            "subnets": [subnet],
            "securityGroupIds": [group],
            "instanceRole": profile,
            "allocationStrategy": "BEST_FIT_PROGRESSIVE",
        },
        eksConfiguration={"eksClusterArn": cluster["arn"], "kubernetesNamespace": NAMESPACE},
    )
    queue = f"{NAME}-JQ1_OD"
    batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": f"{NAME}-CE1_OD"}],
    )
    definition = batch.register_job_definition(
        jobDefinitionName=f"{NAME}-hello-world",
        type="container",
        eksProperties={"podProperties": {"containers": [HELLO_WORLD]}},
    )["jobDefinitionArn"]
    say(f"compute environment {NAME}-CE1_OD, job queue {queue}, job definition {NAME}-hello-world ready")
    return cluster["arn"], queue, definition


def run(keep: bool) -> int:
    with EmbeddedAws(timings=Timings(runnable=1.0, starting=2.0)) as aws:
        say(f"embedded AWS on {aws.endpoint}")
        stack = aws.deploy(REPO_ROOT / "template.yaml", "batch-on-eks")
        say(f"template.yaml deployed: {', '.join(sorted(stack.resources))}")
        cluster_arn, queue, definition = blueprint_environment(aws)

        def print_status(job: EmulatedJob, detail: dict[str, Any]) -> None:
            pod = detail.get("eksProperties", {}).get("podProperties", {}).get("podName", "")
            say(f"  {detail['status']:<10} {pod}")

        aws.batch.observers.append(print_status)
        job_id = aws.client("batch").submit_job(
            jobName=f"doeks_hello_example_{uuid.uuid4().hex[:6]}", jobQueue=queue, jobDefinition=definition
        )["jobId"]
        say(f"submitted the hello-world job {job_id} to {queue} (its command sleeps 30 s)")
        if not aws.batch.done_event(job_id).wait(120):
            say("the job did not finish within 120 s")
            return 1
        job = aws.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
        attempt = job["eksAttempts"][-1]
        say(f"status {job['status']}; pod {attempt['podName']} on node {attempt['nodeName']}")
        group = f"/aws/containerinsights/{cluster_arn.rsplit('/', 1)[-1]}/application"
        logs = aws.client("logs")
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=attempt["nodeName"])
        for stream in streams["logStreams"]:
            if attempt["podName"] in stream["logStreamName"]:
                say(f"log stream {group} {stream['logStreamName']}")
                for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])[
                    "events"
                ]:
                    say(f"  log: {json.loads(event['message'])['log']}")
        if keep:
            say(f"--keep: the embedded AWS stays up on {aws.endpoint}; Ctrl-C stops it")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                say("stopping")
        return 0 if job["status"] == "SUCCEEDED" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make demo", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--keep", action="store_true", help="leave the embedded AWS running until Ctrl-C")
    return run(parser.parse_args(argv).keep)


if __name__ == "__main__":
    boto3.set_stream_logger("botocore", level=40)
    sys.exit(main())
