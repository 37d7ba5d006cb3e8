"""IAM roles (inline policies, managed policies), customer managed policies and instance profiles.

AWS's own managed policies exist in every account, but moto 5 loads them only when told to (all ~1,600, at
every reset of its backends): a managed policy a role attaches that moto has not loaded is installed from
moto's bundled copy of it, the one place the deployer reaches into moto rather than its API. An ARN moto has
no copy of is recorded on the role as a tag ``embedded-aws:managed-policy:<name>`` instead.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack


@cache
def _bundled_aws_managed_policies() -> dict[str, Any]:
    """moto's bundled copy of AWS's managed policies, by name (read once per process)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies: dict[str, Any] = json.loads(aws_managed_policies_data)
    return policies


class IamResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::IAM::Role": self.role,
            "AWS::IAM::ManagedPolicy": self.managed_policy,
            "AWS::IAM::InstanceProfile": self.instance_profile,
        }

    def managed_policy(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        """A customer managed policy: its ``Ref`` is its ARN, as CloudFormation's is."""
        iam = self.api.client("iam")
        name = stack.physical_name(logical_id, props.get("ManagedPolicyName"), limit=128)
        policy = iam.create_policy(
            PolicyName=name,
            Path=props.get("Path", "/"),
            PolicyDocument=json.dumps(props["PolicyDocument"]),
            **({"Description": props["Description"]} if "Description" in props else {}),
        )["Policy"]
        return DeployedResource(
            logical_id, "AWS::IAM::ManagedPolicy", policy["Arn"], {"PolicyArn": policy["Arn"]}
        )

    def role(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        iam = self.api.client("iam")
        name = stack.physical_name(logical_id, props.get("RoleName"))
        role = iam.create_role(
            RoleName=name,
            Path=props.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
            **({"Description": props["Description"]} if "Description" in props else {}),
        )["Role"]
        for policy in props.get("Policies", []):
            # SAM's policy templates leave out Version (IAM then assumes 2008-10-17); moto insists on one.
            document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
            )
        for arn in props.get("ManagedPolicyArns", []):
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            except iam.exceptions.NoSuchEntityException:
                if self._install_aws_managed_policy(arn):
                    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
                    continue
                # moto has no copy of this managed policy: the attachment is recorded as a tag instead
                iam.tag_role(
                    RoleName=name,
                    Tags=[{"Key": f"embedded-aws:managed-policy:{arn.rsplit('/', 1)[-1]}", "Value": arn}],
                )
        return DeployedResource(
            logical_id, "AWS::IAM::Role", name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}
        )

    def _install_aws_managed_policy(self, arn: str) -> bool:
        """Install the AWS managed policy ``arn`` in moto's IAM from moto's bundled copy; False if none."""
        from moto.iam.models import AWSManagedPolicy, iam_backends

        match = re.fullmatch(r"arn:(aws[a-z-]*):iam::aws:policy(/(?:.*/)?)([^/]+)", arn)
        data = _bundled_aws_managed_policies().get(match.group(3)) if match else None
        if match is None or data is None or data.get("Path", "/") != match.group(2):
            return False
        backend = iam_backends[self.api.account][match.group(1)]
        policy = AWSManagedPolicy.from_data(match.group(3), self.api.account, self.api.region, data)
        backend.managed_policies[policy.arn] = policy
        return bool(policy.arn == arn)

    def instance_profile(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        iam = self.api.client("iam")
        name = stack.physical_name(logical_id, props.get("InstanceProfileName"))
        profile = iam.create_instance_profile(InstanceProfileName=name, Path=props.get("Path", "/"))
        for role in props.get("Roles", []):
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        return DeployedResource(
            logical_id, "AWS::IAM::InstanceProfile", name, {"Arn": profile["InstanceProfile"]["Arn"]}
        )
