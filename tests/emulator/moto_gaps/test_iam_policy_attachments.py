"""Attaching a managed policy already attached changes nothing (local/embedded_aws/moto_gaps/
iam_policy_attachments.py), through a real moto server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.emulator.moto_gaps.support import unique_name

DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::results/*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def test_a_policy_attached_twice_is_attached_once(client: Callable[..., Any]) -> None:
    # Given a role and a customer managed policy
    iam = client("iam")
    role = unique_name("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = iam.create_policy(PolicyName=unique_name("policy"), PolicyDocument=json.dumps(DOCUMENT))["Policy"][
        "Arn"
    ]
    # When the policy is attached twice (a retried step), then detached once
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    # Then it is attached to nothing, and can be deleted, as on AWS
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName=role)
