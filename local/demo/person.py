"""The person walking through the blueprint: an IAM role they assume (as a person signs in through IAM
Identity Center or assumes an admin role), and the AWS profile holding the session's credentials, in a
credentials file of the demo's scratch directory (0600), where ``aws configure`` would have put them.

Provisioning names the role in ``clusterAdminPrincipalArns``: that, not the emulator's own access, is what
lets this person's kubectl into the cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from local.embedded_aws.server import EmbeddedAws


@dataclass(frozen=True)
class Person:
    role_arn: str
    profile: str
    credentials_file: Path


def person(aws: EmbeddedAws, directory: Path, role_name: str) -> Person:
    """Create ``role_name`` (trusting the account), assume it, keep its session as profile ``role_name``."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{aws.account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = aws.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    credentials = aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=role_name)["Credentials"]
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / "aws-credentials"
    path.touch(mode=0o600)
    with path.open("a") as file:
        file.write(
            f"[{role_name}]\n"
            f"aws_access_key_id = {credentials['AccessKeyId']}\n"
            f"aws_secret_access_key = {credentials['SecretAccessKey']}\n"
            f"aws_session_token = {credentials['SessionToken']}\n\n"
        )
    return Person(role_arn, role_name, path)
