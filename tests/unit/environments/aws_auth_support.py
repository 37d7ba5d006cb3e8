"""Shared by the aws-auth and batch-access tests: an account, the instance role, the entries our mapping
adds to aws-auth's mapRoles, and the managed node group's own entry as EKS writes it."""

from __future__ import annotations

import yaml

from batch_on_eks.environments.aws_auth import batch_mappings

ACCOUNT = "123456789012"
INSTANCE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch/doeks-aws-batch-instance"
SERVICE_ROLE_ENTRY = {
    "rolearn": f"arn:aws:iam::{ACCOUNT}:role/AWSServiceRoleForBatch",
    "username": "aws-batch",
}
INSTANCE_ROLE_ENTRY = {
    "rolearn": f"arn:aws:iam::{ACCOUNT}:role/doeks-aws-batch-instance",
    "username": "system:node:{{EC2PrivateDNSName}}",
    "groups": ["system:bootstrappers", "system:nodes"],
}
NODE_GROUP_TEXT = """\
# the managed node group's own mapping (EKS wrote it)
- groups:
  - system:bootstrappers
  - system:nodes
  rolearn: arn:aws:iam::123456789012:role/doeks-node-group
  username: system:node:{{EC2PrivateDNSName}}
"""
NODE_GROUP_ENTRY = yaml.safe_load(NODE_GROUP_TEXT)[0]
OURS = batch_mappings(ACCOUNT, "aws", INSTANCE_ROLE)
