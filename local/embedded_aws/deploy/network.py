"""The network: EC2 VPCs, flow logs, subnets, internet and NAT gateways, elastic IPs, route tables and routes,
security groups and their rules (CloudFormation's rule properties turned into EC2's ``IpPermission``s), and
launch templates."""

from __future__ import annotations

from typing import Any

from local.embedded_aws.deploy.account import ResourceTypes
from local.embedded_aws.deploy.stack import Creator, DeployedResource, Stack


def _tag_specifications(resource_type: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    """CloudFormation ``Tags`` as EC2's ``TagSpecifications`` for ``resource_type`` (none: empty)."""
    tags = props.get("Tags", [])
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def _ip_permission(rule: dict[str, Any], peer: str) -> dict[str, Any]:
    """A CloudFormation security group rule as EC2's ``IpPermission``; ``peer`` is Source or Destination."""
    permission: dict[str, Any] = {"IpProtocol": str(rule["IpProtocol"])}
    for key in ("FromPort", "ToPort"):
        if key in rule:
            permission[key] = int(rule[key])
    description = {"Description": rule["Description"]} if "Description" in rule else {}
    if "CidrIp" in rule:
        permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **description}]
    if "CidrIpv6" in rule:
        permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **description}]
    if f"{peer}SecurityGroupId" in rule:
        permission["UserIdGroupPairs"] = [{"GroupId": rule[f"{peer}SecurityGroupId"], **description}]
    if f"{peer}PrefixListId" in rule:
        permission["PrefixListIds"] = [{"PrefixListId": rule[f"{peer}PrefixListId"], **description}]
    return permission


class NetworkResources(ResourceTypes):
    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::EC2::VPC": self.vpc,
            "AWS::EC2::FlowLog": self.flow_log,
            "AWS::EC2::Subnet": self.subnet,
            "AWS::EC2::InternetGateway": self.internet_gateway,
            "AWS::EC2::VPCGatewayAttachment": self.gateway_attachment,
            "AWS::EC2::RouteTable": self.route_table,
            "AWS::EC2::Route": self.route,
            "AWS::EC2::SubnetRouteTableAssociation": self.route_table_association,
            "AWS::EC2::EIP": self.eip,
            "AWS::EC2::NatGateway": self.nat_gateway,
            "AWS::EC2::SecurityGroup": self.security_group,
            "AWS::EC2::SecurityGroupIngress": self.security_group_ingress,
            "AWS::EC2::SecurityGroupEgress": self.security_group_egress,
            "AWS::EC2::LaunchTemplate": self.launch_template,
        }

    def vpc(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.api.client("ec2")
        vpc = ec2.create_vpc(
            CidrBlock=props["CidrBlock"],
            InstanceTenancy=props.get("InstanceTenancy", "default"),
            TagSpecifications=_tag_specifications("vpc", props),
        )["Vpc"]
        vpc_id = vpc["VpcId"]
        for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
            if attribute in props:  # one attribute per call, as EC2 requires
                ec2.modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": bool(props[attribute])}})
        default_group = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"]
        default_acl = ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
        )["NetworkAcls"]
        attributes = {
            "VpcId": vpc_id,
            "CidrBlock": vpc["CidrBlock"],
            "DefaultSecurityGroup": default_group[0]["GroupId"] if default_group else None,
            "DefaultNetworkAcl": default_acl[0]["NetworkAclId"] if default_acl else None,
        }
        return DeployedResource(logical_id, "AWS::EC2::VPC", vpc_id, attributes)

    def flow_log(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request: dict[str, Any] = {
            "ResourceIds": [props["ResourceId"]],
            "ResourceType": props["ResourceType"],
            "TrafficType": props.get("TrafficType", "ALL"),
            "LogDestinationType": props.get("LogDestinationType", "cloud-watch-logs"),
            "TagSpecifications": _tag_specifications("vpc-flow-log", props),
        }
        for key in ("LogGroupName", "LogDestination", "DeliverLogsPermissionArn", "LogFormat"):
            if key in props:
                request[key] = props[key]
        response = self.api.client("ec2").create_flow_logs(**request)
        if response.get("Unsuccessful"):
            raise ValueError(f"{logical_id}: CreateFlowLogs refused: {response['Unsuccessful']}")
        flow_log_id = response["FlowLogIds"][0]
        return DeployedResource(logical_id, "AWS::EC2::FlowLog", flow_log_id, {"Id": flow_log_id})

    def subnet(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.api.client("ec2")
        request: dict[str, Any] = {
            "VpcId": props["VpcId"],
            "CidrBlock": props["CidrBlock"],
            "TagSpecifications": _tag_specifications("subnet", props),
        }
        for key in ("AvailabilityZone", "AvailabilityZoneId"):
            if key in props:
                request[key] = props[key]
        subnet = ec2.create_subnet(**request)["Subnet"]
        if "MapPublicIpOnLaunch" in props:
            ec2.modify_subnet_attribute(
                SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": bool(props["MapPublicIpOnLaunch"])}
            )
        attributes = {
            "SubnetId": subnet["SubnetId"],
            "VpcId": subnet["VpcId"],
            "AvailabilityZone": subnet["AvailabilityZone"],
            "AvailabilityZoneId": subnet.get("AvailabilityZoneId"),
            "CidrBlock": subnet["CidrBlock"],
        }
        return DeployedResource(logical_id, "AWS::EC2::Subnet", subnet["SubnetId"], attributes)

    def internet_gateway(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        gateway = self.api.client("ec2").create_internet_gateway(
            TagSpecifications=_tag_specifications("internet-gateway", props)
        )["InternetGateway"]
        gateway_id = gateway["InternetGatewayId"]
        return DeployedResource(
            logical_id, "AWS::EC2::InternetGateway", gateway_id, {"InternetGatewayId": gateway_id}
        )

    def gateway_attachment(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        if "InternetGatewayId" not in props:
            raise ValueError(f"{logical_id}: only internet gateways are emulated (no VpnGatewayId)")
        self.api.client("ec2").attach_internet_gateway(
            InternetGatewayId=props["InternetGatewayId"], VpcId=props["VpcId"]
        )
        ref = f"IGW|{props['VpcId']}"  # CloudFormation's physical id of an attachment
        return DeployedResource(logical_id, "AWS::EC2::VPCGatewayAttachment", ref)

    def route_table(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        table = self.api.client("ec2").create_route_table(
            VpcId=props["VpcId"], TagSpecifications=_tag_specifications("route-table", props)
        )["RouteTable"]
        table_id = table["RouteTableId"]
        return DeployedResource(logical_id, "AWS::EC2::RouteTable", table_id, {"RouteTableId": table_id})

    def route(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request = {key: value for key, value in props.items() if key != "Tags"}
        response = self.api.client("ec2").create_route(**request)
        if not response.get("Return", True):
            raise ValueError(f"{logical_id}: CreateRoute refused")
        destination = props.get("DestinationCidrBlock") or props.get("DestinationIpv6CidrBlock")
        ref = f"{props['RouteTableId']}|{destination}"  # CloudFormation's physical id of a route
        return DeployedResource(logical_id, "AWS::EC2::Route", ref)

    def route_table_association(
        self, stack: Stack, logical_id: str, props: dict[str, Any]
    ) -> DeployedResource:
        association_id = self.api.client("ec2").associate_route_table(
            RouteTableId=props["RouteTableId"], SubnetId=props["SubnetId"]
        )["AssociationId"]
        return DeployedResource(
            logical_id, "AWS::EC2::SubnetRouteTableAssociation", association_id, {"Id": association_id}
        )

    def eip(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.api.client("ec2")
        address = ec2.allocate_address(Domain=props.get("Domain", "vpc"))
        if props.get("Tags"):
            ec2.create_tags(Resources=[address["AllocationId"]], Tags=props["Tags"])
        attributes = {"AllocationId": address["AllocationId"], "PublicIp": address["PublicIp"]}
        return DeployedResource(logical_id, "AWS::EC2::EIP", address["PublicIp"], attributes)

    def nat_gateway(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        request: dict[str, Any] = {
            "SubnetId": props["SubnetId"],
            "ConnectivityType": props.get("ConnectivityType", "public"),
            "TagSpecifications": _tag_specifications("natgateway", props),
        }
        if "AllocationId" in props:
            request["AllocationId"] = props["AllocationId"]
        gateway = self.api.client("ec2").create_nat_gateway(**request)["NatGateway"]
        gateway_id = gateway["NatGatewayId"]
        return DeployedResource(logical_id, "AWS::EC2::NatGateway", gateway_id, {"NatGatewayId": gateway_id})

    def security_group(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        ec2 = self.api.client("ec2")
        request: dict[str, Any] = {
            "GroupName": stack.physical_name(logical_id, props.get("GroupName"), 255),
            "Description": props["GroupDescription"],
            "TagSpecifications": _tag_specifications("security-group", props),
        }
        if "VpcId" in props:
            request["VpcId"] = props["VpcId"]
        group_id = ec2.create_security_group(**request)["GroupId"]
        if "SecurityGroupEgress" in props:
            # As CloudFormation does: the given egress rules replace the default allow-all rule.
            ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            egress = [_ip_permission(rule, "Destination") for rule in props["SecurityGroupEgress"]]
            if egress:
                ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=egress)
        ingress = [_ip_permission(rule, "Source") for rule in props.get("SecurityGroupIngress", [])]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        attributes = {"GroupId": group_id, "VpcId": group.get("VpcId")}
        return DeployedResource(logical_id, "AWS::EC2::SecurityGroup", group_id, attributes)

    def security_group_ingress(
        self, stack: Stack, logical_id: str, props: dict[str, Any]
    ) -> DeployedResource:
        response = self.api.client("ec2").authorize_security_group_ingress(
            GroupId=props["GroupId"], IpPermissions=[_ip_permission(props, "Source")]
        )
        rules = response.get("SecurityGroupRules") or [{}]
        rule_id = rules[0].get("SecurityGroupRuleId", logical_id)
        return DeployedResource(logical_id, "AWS::EC2::SecurityGroupIngress", rule_id, {"Id": rule_id})

    def security_group_egress(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        response = self.api.client("ec2").authorize_security_group_egress(
            GroupId=props["GroupId"], IpPermissions=[_ip_permission(props, "Destination")]
        )
        rules = response.get("SecurityGroupRules") or [{}]
        rule_id = rules[0].get("SecurityGroupRuleId", logical_id)
        return DeployedResource(logical_id, "AWS::EC2::SecurityGroupEgress", rule_id, {"Id": rule_id})

    def launch_template(self, stack: Stack, logical_id: str, props: dict[str, Any]) -> DeployedResource:
        """CreateLaunchTemplate with the data as given (CloudFormation names its properties as EC2 does)."""
        created = self.api.client("ec2").create_launch_template(
            LaunchTemplateName=stack.physical_name(logical_id, props.get("LaunchTemplateName"), 128),
            LaunchTemplateData=props.get("LaunchTemplateData") or {},
        )["LaunchTemplate"]
        attributes = {
            "LaunchTemplateId": created["LaunchTemplateId"],
            "DefaultVersionNumber": str(created["DefaultVersionNumber"]),
            "LatestVersionNumber": str(created["LatestVersionNumber"]),
        }
        return DeployedResource(
            logical_id, "AWS::EC2::LaunchTemplate", created["LaunchTemplateId"], attributes
        )
