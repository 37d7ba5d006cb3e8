"""What template.yaml promises about the tables, the parameters, the function defaults, the layer, and the
static network and IAM of the environments, read from the template and deployed in the embedded AWS.

The scanners (sam validate --lint, cfn-lint with the serverless rules, checkov) check that the template is
valid and follows good practice; these tests pin the design's own choices so a later edit cannot drop them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import boto3
import pytest

from batch_on_eks.aws.runs_table import CHECK_FIELDS
from local.embedded_aws.deploy.stack import Stack
from local.embedded_aws.deploy.template import load_template, parse_yaml, rule_violations
from local.embedded_aws.server import EmbeddedAws
from tests.conftest import REPO_ROOT
from tests.template.support import as_created

TABLES = ["RunsTable", "EnvironmentsTable"]


def _key_schema(key_schema: list[dict[str, str]]) -> dict[str, str]:
    """``[{"AttributeName": a, "KeyType": HASH}, ...]`` as ``{"HASH": a, "RANGE": b}``."""
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def _indexes(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {index["IndexName"]: index for index in table["Properties"].get("GlobalSecondaryIndexes", [])}


def test_loader_understands_cloudformation_short_tags() -> None:
    # Given the template, which uses !Ref in its Globals
    # When it is loaded with the CloudFormation-aware loader
    template = load_template(REPO_ROOT / "template.yaml")

    # Then the short tags come back in their long form
    function_globals = template["Globals"]["Function"]
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    assert function_globals["Environment"]["Variables"]["RUNS_TABLE"] == {"Ref": "RunsTable"}


def test_loader_turns_every_short_tag_into_its_long_form() -> None:
    # Given a snippet that uses the short tags in scalar, sequence and mapping form
    text = """
    a: !Ref Bucket
    b: !GetAtt Queue.Arn
    c: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"
    d: !Join ["", [!Ref AWS::Region, "-x"]]
    e: !If [IsProd, !GetAZs "", !Ref AWS::NoValue]
    f: !Condition IsProd
    g: !Sub ["${A}", {A: !ImportValue Shared}]
    """

    # When it is loaded
    document = parse_yaml(text)

    # Then each tag is the intrinsic function CloudFormation would see in JSON
    assert document == {
        "a": {"Ref": "Bucket"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
        "d": {"Fn::Join": ["", [{"Ref": "AWS::Region"}, "-x"]]},
        "e": {"Fn::If": ["IsProd", {"Fn::GetAZs": ""}, {"Ref": "AWS::NoValue"}]},
        "f": {"Condition": "IsProd"},
        "g": {"Fn::Sub": ["${A}", {"A": {"Fn::ImportValue": "Shared"}}]},
    }


@pytest.mark.parametrize("name", TABLES)
def test_table_is_on_demand_recoverable_encrypted_and_retained(resources: dict[str, Any], name: str) -> None:
    # Given a DynamoDB table of the control plane
    table = resources[name]
    properties = table["Properties"]

    # When its billing, backup, encryption and deletion settings are read
    # Then it bills per request, keeps point-in-time recovery, encrypts at rest and survives the stack
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_runs_table_keys_and_indexes(resources: dict[str, Any]) -> None:
    # Given the runs table
    properties = resources["RunsTable"]["Properties"]
    attribute_types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}

    # When its key schema and global secondary indexes are read
    indexes = _indexes(resources["RunsTable"])

    # Then a run is keyed by runId, found by jobId (ByJobId), and listed per environment by status and age
    assert _key_schema(properties["KeySchema"]) == {"HASH": "runId"}
    assert set(indexes) == {"ByJobId", "ByEnvironment", "ByCheckDue", "FailedChildren"}
    assert _key_schema(indexes["ByJobId"]["KeySchema"]) == {"HASH": "jobId"}
    assert _key_schema(indexes["ByEnvironment"]["KeySchema"]) == {
        "HASH": "environment",
        "RANGE": "statusCreatedAt",
    }
    # And the reconciler finds the runs due for a check by shard and due time, with what it needs to see
    # that nothing needs doing (without reading the run)
    assert _key_schema(indexes["ByCheckDue"]["KeySchema"]) == {"HASH": "checkShard", "RANGE": "checkDueAt"}
    assert indexes["ByCheckDue"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(CHECK_FIELDS),
    }
    # And an array run's failed children are listed by index, keys only
    assert _key_schema(indexes["FailedChildren"]["KeySchema"]) == {"HASH": "failedOf", "RANGE": "childIndex"}
    assert indexes["FailedChildren"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    # And every key attribute is declared with its type
    assert attribute_types == {
        "runId": "S",
        "jobId": "S",
        "environment": "S",
        "statusCreatedAt": "S",
        "checkShard": "N",
        "checkDueAt": "N",
        "failedOf": "S",
        "childIndex": "N",
    }


def test_runs_table_expires_finished_runs_through_ttl(resources: dict[str, Any]) -> None:
    # Given the runs table
    properties = resources["RunsTable"]["Properties"]

    # When its time-to-live setting is read
    ttl = properties["TimeToLiveSpecification"]

    # Then DynamoDB removes items by their expiresAt attribute
    assert ttl == {"AttributeName": "expiresAt", "Enabled": True}


def test_environments_table_is_keyed_by_name_and_never_expires(resources: dict[str, Any]) -> None:
    # Given the environments table
    properties = resources["EnvironmentsTable"]["Properties"]

    # When its key schema and time-to-live setting are read
    key_schema = _key_schema(properties["KeySchema"])

    # Then an environment is keyed by its name, and its record has no TTL (its history must outlive it)
    assert key_schema == {"HASH": "name"}
    assert "TimeToLiveSpecification" not in properties
    assert "GlobalSecondaryIndexes" not in properties


def test_resource_prefix_defaults_to_doeks(template: dict[str, Any]) -> None:
    # Given the template's parameters
    parameters = template["Parameters"]

    # When the ResourcePrefix parameter is read
    resource_prefix = parameters["ResourcePrefix"]

    # Then it defaults to "doeks", the prefix of every name the control plane creates at run time
    assert resource_prefix["Type"] == "String"
    assert resource_prefix["Default"] == "doeks"


def test_function_globals_set_runtime_tracing_and_service_name(template: dict[str, Any]) -> None:
    # Given the template's Globals
    # When the settings every function inherits are read
    function_globals = template["Globals"]["Function"]
    variables = function_globals["Environment"]["Variables"]

    # Then every function runs on python3.12 with active tracing and a Powertools service name
    assert function_globals["Runtime"] == "python3.12"
    assert function_globals["Tracing"] == "Active"
    assert isinstance(variables.get("POWERTOOLS_SERVICE_NAME"), str)
    assert variables["POWERTOOLS_SERVICE_NAME"]


def test_common_layer_is_built_for_python312(resources: dict[str, Any]) -> None:
    # Given the common layer
    layer = resources["CommonLayer"]

    # When its build metadata is read
    metadata = layer["Metadata"]

    # Then sam build runs the layer's own Makefile: python3.12's pip, then bytecode compiled ahead of time
    # (Lambda cannot write __pycache__ under /opt), for the runtime the layer is compatible with
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert metadata["BuildMethod"] == "makefile"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    recipe = (REPO_ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text(encoding="utf-8")
    assert "build-CommonLayer:" in recipe
    assert "python3.12" in recipe
    assert "compileall" in recipe
    assert "unchecked-hash" in recipe


def test_one_architecture_parameter_drives_the_functions_and_the_layer(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    # Given the Architecture parameter
    parameter = template["Parameters"]["Architecture"]
    # Then it is x86_64 by default, or arm64
    assert (parameter["Default"], parameter["AllowedValues"]) == ("x86_64", ["x86_64", "arm64"])
    # And every function runs on it, the layer is published for it and built for it by sam build
    architecture = [{"Ref": "Architecture"}]
    assert template["Globals"]["Function"]["Architectures"] == architecture
    layer = resources["CommonLayer"]
    assert layer["Properties"]["CompatibleArchitectures"] == architecture
    assert layer["Metadata"]["BuildArchitecture"] == {"Ref": "Architecture"}
    assert all("Architectures" not in r.get("Properties", {}) for r in resources.values())
    # And the layer's makefile installs wheels for Lambda's platform, named from ARCHITECTURE (sam build
    # gives makefile builds no architecture: `make build` passes the same value to both)
    recipe = (REPO_ROOT / "layers" / "common" / "Makefile").read_text(encoding="utf-8")
    for option in ("--platform", "--implementation cp", "--python-version 3.12", "--only-binary=:all:"):
        assert option in recipe
    assert "ARCHITECTURE" in recipe
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "Architecture=$(ARCHITECTURE)" in makefile


def test_functions_deploy_on_the_architecture_asked_for(aws: EmbeddedAws) -> None:
    # When the template is deployed with Architecture=arm64
    stack = aws.deploy(parameters={"Architecture": "arm64"}, stack_name="arm64-stack")
    # Then every function is arm64
    lambda_client = aws.client("lambda")
    functions = [
        lambda_client.get_function(FunctionName=resource.ref)["Configuration"]
        for resource in stack.resources.values()
        if resource.type == "AWS::Lambda::Function"
    ]
    assert functions
    assert {tuple(f["Architectures"]) for f in functions} == {("arm64",)}


# -- the network and IAM for environments --------------------------------------------------------
PUBLIC_TAG = "kubernetes.io/role/elb"
PRIVATE_TAG = "kubernetes.io/role/internal-elb"
POD_IDENTITY_ROLES = ["EbsCsiDriverRole", "CloudWatchObservabilityRole"]
ENVIRONMENT_VARIABLES = [
    "CLUSTER_ROLE_ARN",
    "NODE_ROLE_ARN",
    "BATCH_INSTANCE_ROLE_ARN",
    "BATCH_INSTANCE_PROFILE_ARN",
    "EBS_CSI_DRIVER_ROLE_ARN",
    "CLOUDWATCH_OBSERVABILITY_ROLE_ARN",
    "PRIVATE_SUBNET_IDS",
    "PUBLIC_SUBNET_IDS",
    "NODE_SECURITY_GROUP_ID",
]
EXISTING_NETWORK = {
    "ExistingVpcId": "vpc-0123456789abcdef0",
    "ExistingPrivateSubnetIds": "subnet-0a1,subnet-0b2",
}
# What CreateNetwork guards: every network resource; the node security group is created in either case.
NETWORK_TYPES = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::FlowLog",
}


def _of_type(resources: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


def _tags(resource: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}


def _subnets(resources: Mapping[str, Any], tag: str) -> dict[str, dict[str, Any]]:
    """The subnets that carry the load-balancer role tag ``tag``."""
    return {
        name: s for name, s in _of_type(resources, "AWS::EC2::Subnet").items() if _tags(s).get(tag) == "1"
    }


def _ref(node: Any) -> str:
    assert isinstance(node, dict)
    assert set(node) == {"Ref"}, node
    return str(node["Ref"])


def _default_route(resources: Mapping[str, Any], subnet: str) -> dict[str, Any]:
    """The 0.0.0.0/0 route of the route table ``subnet`` is associated with."""
    associations = _of_type(resources, "AWS::EC2::SubnetRouteTableAssociation").values()
    tables = [
        _ref(a["Properties"]["RouteTableId"])
        for a in associations
        if _ref(a["Properties"]["SubnetId"]) == subnet
    ]
    assert len(tables) == 1, f"{subnet} is associated with {tables}"
    routes = [
        route["Properties"]
        for route in _of_type(resources, "AWS::EC2::Route").values()
        if _ref(route["Properties"]["RouteTableId"]) == tables[0]
        and route["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"
    ]
    assert len(routes) == 1, f"{tables[0]} has default routes {routes}"
    return routes[0]


def _trust_services(role: Mapping[str, Any]) -> set[str]:
    statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return {s["Principal"]["Service"] for s in statements}


def _managed_policy_names(role: Mapping[str, Any]) -> set[str]:
    names = set()
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        text = arn["Fn::Sub"]
        assert text.startswith("arn:${AWS::Partition}:iam::aws:policy/"), text
        names.add(text.rsplit("/", 1)[-1])
    return names


def test_vpc_is_the_blueprints_with_dns(resources: dict[str, Any]) -> None:
    # Given the template's VPCs
    vpcs = _of_type(resources, "AWS::EC2::VPC")

    # When the one VPC's settings are read
    assert len(vpcs) == 1
    ((name, vpc),) = vpcs.items()
    properties = vpc["Properties"]

    # Then it is the blueprint's 10.1.0.0/16 with DNS support and hostnames (nodes register by DNS name)
    assert properties["CidrBlock"] == "10.1.0.0/16"
    assert properties["EnableDnsSupport"] is True
    assert properties["EnableDnsHostnames"] is True
    # And its flow logs go to a log group with a retention
    flow_logs = [f["Properties"] for f in _of_type(resources, "AWS::EC2::FlowLog").values()]
    assert [_ref(f["ResourceId"]) for f in flow_logs] == [name]
    log_group = resources[_ref(flow_logs[0]["LogGroupName"])]
    assert log_group["Properties"]["RetentionInDays"] > 0


def test_two_public_26_and_two_private_subnets_over_two_azs(resources: dict[str, Any]) -> None:
    # Given the template's subnets, told apart by their load-balancer role tags
    all_subnets = _of_type(resources, "AWS::EC2::Subnet")
    public, private = _subnets(resources, PUBLIC_TAG), _subnets(resources, PRIVATE_TAG)
    (vpc,) = _of_type(resources, "AWS::EC2::VPC").values()
    vpc_range = ipaddress.ip_network(vpc["Properties"]["CidrBlock"])

    # When their ranges and zones are read
    ranges = {name: ipaddress.ip_network(s["Properties"]["CidrBlock"]) for name, s in all_subnets.items()}
    zones = {name: s["Properties"]["AvailabilityZone"] for name, s in all_subnets.items()}

    # Then there are two of each, every subnet tagged as one or the other
    assert len(public) == 2
    assert len(private) == 2
    assert set(all_subnets) == set(public) | set(private)
    assert not set(public) & set(private)
    # And the public ones are /26, the private ones much larger (at least /19), all inside the VPC, disjoint
    assert {ranges[name].prefixlen for name in public} == {26}
    assert all(ranges[name].prefixlen <= 19 for name in private)
    assert all(r.subnet_of(vpc_range) for r in ranges.values())
    for a in ranges:
        for b in ranges:
            assert a == b or not ranges[a].overlaps(ranges[b]), (a, b)
    # And each pair spans the region's first two Availability Zones
    for pair in (public, private):
        assert sorted(zones[name]["Fn::Select"][0] for name in pair) == [0, 1]
        assert all(zones[name]["Fn::Select"][1] == {"Fn::GetAZs": ""} for name in pair)
        assert all(_ref(all_subnets[name]["Properties"]["VpcId"]) in resources for name in pair)


def test_public_subnets_route_to_the_internet_and_private_ones_through_one_nat(
    resources: dict[str, Any],
) -> None:
    # Given the subnets, the gateways and the route tables
    public, private = _subnets(resources, PUBLIC_TAG), _subnets(resources, PRIVATE_TAG)
    nats = _of_type(resources, "AWS::EC2::NatGateway")
    gateways = _of_type(resources, "AWS::EC2::InternetGateway")
    (vpc_name,) = _of_type(resources, "AWS::EC2::VPC")

    # When each subnet's default route is followed
    public_routes = [_default_route(resources, name) for name in public]
    private_routes = [_default_route(resources, name) for name in private]

    # Then the public subnets go out through the internet gateway, attached to the VPC
    assert len(gateways) == 1
    assert {_ref(r["GatewayId"]) for r in public_routes} == set(gateways)
    attachments = _of_type(resources, "AWS::EC2::VPCGatewayAttachment").values()
    assert [
        (_ref(a["Properties"]["VpcId"]), _ref(a["Properties"]["InternetGatewayId"])) for a in attachments
    ] == [(vpc_name, *gateways)]
    # And the private ones through the one NAT gateway, which sits in a public subnet with an Elastic IP
    assert len(nats) == 1
    ((nat_name, nat),) = nats.items()
    assert {_ref(r["NatGatewayId"]) for r in private_routes} == {nat_name}
    assert _ref(nat["Properties"]["SubnetId"]) in public
    eip = nat["Properties"]["AllocationId"]["Fn::GetAtt"]
    assert resources[eip[0]]["Type"] == "AWS::EC2::EIP"
    assert eip[1] == "AllocationId"


def test_node_security_group_admits_its_own_members_only(resources: dict[str, Any]) -> None:
    # Given the node security group and its standalone ingress rules
    group = resources["NodeSecurityGroup"]["Properties"]
    ingress = [
        rule["Properties"]
        for rule in _of_type(resources, "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": ["NodeSecurityGroup", "GroupId"]}
    ]

    # When its rules are read
    # Then all traffic comes in from members of the group itself, and nothing else does
    assert "SecurityGroupIngress" not in group
    assert len(ingress) == 1
    assert ingress[0]["SourceSecurityGroupId"] == {"Fn::GetAtt": ["NodeSecurityGroup", "GroupId"]}
    assert str(ingress[0]["IpProtocol"]) == "-1"
    # And all traffic goes out
    assert [(str(r["IpProtocol"]), r["CidrIp"]) for r in group["SecurityGroupEgress"]] == [
        ("-1", "0.0.0.0/0")
    ]
    # And every rule says why it is there
    assert all(rule.get("Description") for rule in [*ingress, *group["SecurityGroupEgress"]])


@pytest.mark.parametrize("name", POD_IDENTITY_ROLES)
def test_add_on_roles_trust_exactly_eks_pod_identity(resources: dict[str, Any], name: str) -> None:
    # Given an add-on's role
    role = resources[name]

    # When its trust policy is read
    statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]

    # Then EKS Pod Identity alone may assume it, with session tags (no per-cluster OIDC provider)
    assert role["Type"] == "AWS::IAM::Role"
    assert len(statements) == 1
    assert statements[0]["Effect"] == "Allow"
    assert statements[0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statements[0]["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    # And only for this account's clusters of the control plane
    condition = statements[0]["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert condition["StringLike"]["aws:RequestTag/eks-cluster-name"] == {"Fn::Sub": "${ResourcePrefix}-*"}


@pytest.mark.parametrize(
    ("name", "service", "policies"),
    [
        ("EksClusterRole", "eks.amazonaws.com", {"AmazonEKSClusterPolicy"}),
        (
            "EksNodeRole",
            "ec2.amazonaws.com",
            {"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"},
        ),
        (
            "BatchInstanceRole",
            "ec2.amazonaws.com",
            {
                "AmazonEKSWorkerNodePolicy",
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonEKS_CNI_Policy",
                "AmazonSSMManagedInstanceCore",
                "AWSXrayWriteOnlyAccess",
                "CloudWatchAgentServerPolicy",
            },
        ),
        ("EbsCsiDriverRole", "pods.eks.amazonaws.com", {"AmazonEBSCSIDriverPolicy"}),
        (
            "CloudWatchObservabilityRole",
            "pods.eks.amazonaws.com",
            {"CloudWatchAgentServerPolicy", "AWSXrayWriteOnlyAccess"},
        ),
    ],
)
def test_environment_roles_trust_their_service_and_attach_the_managed_policies(
    resources: dict[str, Any], name: str, service: str, policies: set[str]
) -> None:
    # Given one of the roles every environment shares
    role = resources[name]

    # When its trust and managed policies are read
    # Then its service assumes it, CloudFormation names it, and it attaches its AWS managed policies
    assert _trust_services(role) == {service}
    assert "RoleName" not in role["Properties"]
    assert _managed_policy_names(role) == policies
    # And it exists whichever network is used
    assert "Condition" not in role


def test_batch_instance_profile_holds_the_batch_instance_role(resources: dict[str, Any]) -> None:
    # Given the instance profile of Batch's instances
    # When its roles are read
    roles = resources["BatchInstanceProfile"]["Properties"]["Roles"]

    # Then it holds the Batch instance role
    assert [_ref(role) for role in roles] == ["BatchInstanceRole"]


def test_functions_see_the_network_and_the_roles(template: dict[str, Any]) -> None:
    # Given the function globals, resolved with the blueprint's VPC created
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    intrinsics, _ = as_created(template, {})
    resources = template["Resources"]

    # When the provisioning variables are resolved
    resolved = {name: intrinsics.resolve(variables[name]) for name in ENVIRONMENT_VARIABLES}

    # Then the subnets are the tagged ones, comma-joined, and the group is the node security group
    assert sorted(resolved["PRIVATE_SUBNET_IDS"].split(",")) == sorted(_subnets(resources, PRIVATE_TAG))
    assert sorted(resolved["PUBLIC_SUBNET_IDS"].split(",")) == sorted(_subnets(resources, PUBLIC_TAG))
    assert resolved["NODE_SECURITY_GROUP_ID"] == "group-of:NodeSecurityGroup"
    # And each ARN is its role's (or the instance profile's)
    assert resolved["CLUSTER_ROLE_ARN"] == "arn-of:EksClusterRole"
    assert resolved["NODE_ROLE_ARN"] == "arn-of:EksNodeRole"
    assert resolved["BATCH_INSTANCE_ROLE_ARN"] == "arn-of:BatchInstanceRole"
    assert resolved["BATCH_INSTANCE_PROFILE_ARN"] == "arn-of:BatchInstanceProfile"
    assert resolved["EBS_CSI_DRIVER_ROLE_ARN"] == "arn-of:EbsCsiDriverRole"
    assert resolved["CLOUDWATCH_OBSERVABILITY_ROLE_ARN"] == "arn-of:CloudWatchObservabilityRole"


def test_with_an_existing_vpc_no_network_resource_is_created(template: dict[str, Any]) -> None:
    # Given an existing VPC and its private subnets as parameters
    # When the template's conditions are evaluated for them
    intrinsics, created = as_created(template, EXISTING_NETWORK)
    resources = template["Resources"]

    # Then no network resource is created, and the node security group is, in the existing VPC
    assert not {name for name in created if resources[name]["Type"] in NETWORK_TYPES}
    assert {"NodeSecurityGroup", "NodeSecurityGroupSelfIngress"} <= created
    assert (
        intrinsics.resolve(resources["NodeSecurityGroup"]["Properties"]["VpcId"])
        == EXISTING_NETWORK["ExistingVpcId"]
    )
    # And the functions and the outputs see the existing subnets, and no public ones
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert intrinsics.resolve(variables["PRIVATE_SUBNET_IDS"]) == EXISTING_NETWORK["ExistingPrivateSubnetIds"]
    assert intrinsics.resolve(variables["PUBLIC_SUBNET_IDS"]) == ""
    outputs = {name: intrinsics.resolve(output["Value"]) for name, output in template["Outputs"].items()}
    assert outputs["VpcId"] == EXISTING_NETWORK["ExistingVpcId"]
    assert outputs["PrivateSubnetIds"] == EXISTING_NETWORK["ExistingPrivateSubnetIds"]
    # And every network resource is guarded by CreateNetwork
    for name, resource in resources.items():
        if resource["Type"] in NETWORK_TYPES:
            assert resource.get("Condition") == "CreateNetwork", name


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({}, False),
        (EXISTING_NETWORK, False),
        ({"ExistingVpcId": EXISTING_NETWORK["ExistingVpcId"]}, True),
        ({"ExistingPrivateSubnetIds": EXISTING_NETWORK["ExistingPrivateSubnetIds"]}, True),
    ],
)
def test_existing_vpc_and_subnets_go_together(
    template: dict[str, Any], overrides: dict[str, str], refused: bool
) -> None:
    # Given a choice of the network parameters
    intrinsics, _ = as_created(template, overrides)

    # When the template's Rules check them
    violations = rule_violations(template, intrinsics)

    # Then an existing VPC without its subnets, or subnets without their VPC, is refused
    assert bool(violations) is refused


# -- deployed in the embedded AWS ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def network_stack(aws: EmbeddedAws) -> Stack:
    """template.yaml deployed with the blueprint's VPC."""
    return aws.deploy(stack_name="network-test")


def _attached_policies(role_name: str) -> set[str]:
    attached = boto3.client("iam").list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    return {policy["PolicyArn"].rsplit("/", 1)[-1] for policy in attached}


def test_deployed_network_is_the_blueprints(network_stack: Stack, resources: dict[str, Any]) -> None:
    # Given the template deployed in the embedded AWS
    ec2 = boto3.client("ec2")
    vpc_id = network_stack.outputs["VpcId"]

    # When its VPC, subnets, NAT gateway and route tables are described
    (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=by_vpc)["Subnets"]}
    nats = ec2.describe_nat_gateways(Filters=by_vpc)["NatGateways"]
    tables = ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]

    # Then the VPC has the template's range, with DNS support and hostnames
    assert vpc["CidrBlock"] == resources["Vpc"]["Properties"]["CidrBlock"]
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        value = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
        assert value[attribute[0].upper() + attribute[1:]]["Value"] is True
    # And the four subnets of the outputs, each pair over two Availability Zones, tagged for load balancers
    private_ids = network_stack.outputs["PrivateSubnetIds"].split(",")
    public_ids = network_stack.outputs["PublicSubnetIds"].split(",")
    assert sorted(subnets) == sorted(private_ids + public_ids)
    for ids, tag in ((private_ids, PRIVATE_TAG), (public_ids, PUBLIC_TAG)):
        assert len({subnets[i]["AvailabilityZone"] for i in ids}) == 2
        assert all({"Key": tag, "Value": "1"} in subnets[i]["Tags"] for i in ids)
    expected = {s["Properties"]["CidrBlock"] for s in _of_type(resources, "AWS::EC2::Subnet").values()}
    assert {s["CidrBlock"] for s in subnets.values()} == expected
    # And one NAT gateway, in a public subnet, with an Elastic IP
    assert len(nats) == 1
    assert nats[0]["SubnetId"] in public_ids
    assert nats[0]["NatGatewayAddresses"][0]["AllocationId"]
    # And the public subnets route to the internet gateway, the private ones to the NAT gateway
    for table in tables:
        associated = {a["SubnetId"] for a in table["Associations"] if "SubnetId" in a}
        default = [r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        if associated == set(public_ids):
            assert default[0]["GatewayId"].startswith("igw-")
        elif associated == set(private_ids):
            assert default[0]["NatGatewayId"] == nats[0]["NatGatewayId"]
        else:
            assert not associated, table  # the VPC's main table, which no subnet uses
    (gateway,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ]
    assert gateway["Attachments"][0]["VpcId"] == vpc_id
    # And the node security group is in the VPC, admitting its own members
    (group,) = ec2.describe_security_groups(GroupIds=[network_stack.outputs["NodeSecurityGroupId"]])[
        "SecurityGroups"
    ]
    assert group["VpcId"] == vpc_id
    assert group["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == group["GroupId"]
    # And the VPC's flow logs are on
    (flow_log,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert flow_log["TrafficType"] == "ALL"
    # And nothing in the template was skipped as not emulated
    assert network_stack.not_emulated == {}


def test_deployed_roles_have_their_trust_and_managed_policies(
    network_stack: Stack, resources: dict[str, Any]
) -> None:
    # Given the template deployed in the embedded AWS
    iam = boto3.client("iam")

    # When each environment role is read back
    for name in ("EksClusterRole", "EksNodeRole", "BatchInstanceRole", *POD_IDENTITY_ROLES):
        role = iam.get_role(RoleName=network_stack.ref(name))["Role"]

        # Then it trusts its service and has its managed policies attached (none merely recorded)
        services = {s["Principal"]["Service"] for s in role["AssumeRolePolicyDocument"]["Statement"]}
        assert services == _trust_services(resources[name])
        assert _attached_policies(role["RoleName"]) == _managed_policy_names(resources[name])
        assert iam.list_role_tags(RoleName=role["RoleName"])["Tags"] == []
    # And the instance profile holds the Batch instance role
    profile = iam.get_instance_profile(InstanceProfileName=network_stack.ref("BatchInstanceProfile"))
    assert [r["RoleName"] for r in profile["InstanceProfile"]["Roles"]] == [
        network_stack.ref("BatchInstanceRole")
    ]
    # And the outputs and every function's environment carry their ARNs
    assert network_stack.outputs["BatchInstanceProfileArn"] == profile["InstanceProfile"]["Arn"]
    functions = [
        f
        for f in boto3.client("lambda").list_functions()["Functions"]
        if f["FunctionName"].startswith("network-test-")
    ]
    assert functions
    for function in functions:
        variables = function["Environment"]["Variables"]
        assert variables["CLUSTER_ROLE_ARN"] == network_stack.outputs["EksClusterRoleArn"]
        assert variables["PRIVATE_SUBNET_IDS"] == network_stack.outputs["PrivateSubnetIds"]
        assert variables["NODE_SECURITY_GROUP_ID"] == network_stack.outputs["NodeSecurityGroupId"]


def test_deployed_with_an_existing_vpc_creates_no_network(aws: EmbeddedAws) -> None:
    # Given a VPC with two private subnets that exist already
    ec2 = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.9.0.0/18", "us-east-1a"), ("10.9.64.0/18", "us-east-1b"))
    ]
    vpcs_before = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    nats_before = ec2.describe_nat_gateways()["NatGateways"]

    # When the template is deployed with them
    stack = aws.deploy(
        stack_name="existing-vpc-test",
        parameters={"ExistingVpcId": vpc_id, "ExistingPrivateSubnetIds": ",".join(subnet_ids)},
    )

    # Then no VPC, subnet, NAT gateway or flow log is created
    assert {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]} == vpcs_before
    assert ec2.describe_nat_gateways()["NatGateways"] == nats_before
    assert sorted(
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    ) == sorted(subnet_ids)
    assert not {name for name in stack.resources if stack.resources[name].type in NETWORK_TYPES}
    # And the node security group is created in the existing VPC, and the outputs name the existing network
    (group,) = ec2.describe_security_groups(GroupIds=[stack.outputs["NodeSecurityGroupId"]])["SecurityGroups"]
    assert group["VpcId"] == vpc_id
    assert stack.outputs["VpcId"] == vpc_id
    assert stack.outputs["PrivateSubnetIds"] == ",".join(subnet_ids)
    assert stack.outputs["PublicSubnetIds"] == ""


def test_an_existing_vpc_without_its_subnets_deploys_nothing(aws: EmbeddedAws) -> None:
    # Given an existing VPC id without subnets
    ec2 = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    groups_before = len(ec2.describe_security_groups()["SecurityGroups"])

    # When the template is deployed with it
    # Then the template's Rules refuse it before anything is created
    with pytest.raises(ValueError, match="ExistingNetworkIsComplete"):
        aws.deploy(stack_name="half-network-test", parameters={"ExistingVpcId": vpc_id})
    assert len(ec2.describe_security_groups()["SecurityGroups"]) == groups_before
