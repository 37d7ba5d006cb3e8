"""The emulated Fluent Bit's pipeline (local/dataplane/container_logs.py): where the CloudWatch observability
add-on's configuration sends containers' lines."""

from __future__ import annotations

import json

from local.dataplane.container_logs import DEFAULT_APPLICATION_LOG_CONF, addon_pipeline, pipeline

VARIABLES = {"CLUSTER_NAME": "doeks-aws-batch", "HOST_NAME": "ip-10-1-2-3.ec2.internal"}
FILE = "aws-batch.x_jobs_app-0123.log"


def test_the_default_pipeline_is_the_add_ons() -> None:
    # When the add-on runs without a pipeline of its own in its configuration
    found = addon_pipeline(json.dumps({"containerLogs": {"enabled": True}}))
    # Then lines go where Container Insights puts them
    assert found == pipeline(DEFAULT_APPLICATION_LOG_CONF)
    assert found is not None
    assert found.place(VARIABLES, FILE) == (
        "/aws/containerinsights/doeks-aws-batch/application",
        f"ip-10-1-2-3.ec2.internal-application.var.log.containers.{FILE}",
    )


def test_a_configured_pipeline_moves_the_lines() -> None:
    # Given an application-log.conf that tags and names streams differently
    conf = """
    [INPUT]
        Name     tail
        Tag      containers.*
        Path     /var/log/containers/*.log
    [OUTPUT]
        Name              cloudwatch_logs
        Match             containers.*
        log_group_name    /eks/${CLUSTER_NAME}/containers
        log_stream_prefix ${HOST_NAME}.
    """
    config = {
        "containerLogs": {
            "enabled": True,
            "fluentBit": {"config": {"extraFiles": {"application-log.conf": conf}}},
        }
    }
    # When the add-on runs with it
    found = addon_pipeline(json.dumps(config))
    # Then the lines go where it says
    assert found is not None
    assert found.place(VARIABLES, FILE) == (
        "/eks/doeks-aws-batch/containers",
        f"ip-10-1-2-3.ec2.internal.containers.var.log.containers.{FILE}",
    )


def test_container_logs_off_ship_nothing() -> None:
    # When the add-on's container logs are off, or its output matches nothing it tails
    off = addon_pipeline(json.dumps({"containerLogs": {"enabled": False}}))
    unmatched = pipeline("[INPUT]\n Name tail\n Tag app.*\n[OUTPUT]\n Name cloudwatch_logs\n Match other.*\n")
    # Then there is no pipeline
    assert (off, unmatched) == (None, None)
