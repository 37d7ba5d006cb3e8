"""The acceptance command's leftover inventory (scripts/aws_acceptance.py, ``Walkthrough.leftovers``) names
an environment's job role that teardown left, and only that environment's."""

from __future__ import annotations

import argparse
import json

from local.embedded_aws.server import EmbeddedAws
from scripts.aws_acceptance import Walkthrough

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def test_a_job_role_left_behind_is_listed(aws: EmbeddedAws) -> None:
    # Given the job roles of two environments left in the account (under the job-role path)
    iam = aws.client("iam")
    for environment in ("doeks-left", "doeks-other"):
        iam.create_role(
            RoleName=f"{environment}-job", Path="/doeks-jobs/", AssumeRolePolicyDocument=json.dumps(TRUST)
        )
    # When the acceptance command takes stock of one of them
    walkthrough = Walkthrough(argparse.Namespace(region=aws.region))
    left = walkthrough.leftovers("doeks-left")
    # Then its job role is named, and the other environment's is not
    assert left == ["job role /doeks-jobs/doeks-left-job"]
