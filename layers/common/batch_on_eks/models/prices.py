"""AWS's list prices the control plane states (the environments' hourly rate in their outputs and the
docs; what a run costs, in the benchmark): one table, with the date it was read and where.

us-east-1, on-demand, in US dollars. Prices change and differ by region: the outputs and the docs say so,
and cite the date below.
"""

from __future__ import annotations

from dataclasses import dataclass

# When the table below was read from AWS's pricing pages.
PRICES_AS_OF = "2026-12-06"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    usd: float
    per: str  # the unit the price is for
    source: str  # the AWS pricing page it comes from


EKS_PRICING = "https://aws.amazon.com/eks/pricing/"
EC2_PRICING = "https://aws.amazon.com/ec2/pricing/on-demand/"
VPC_PRICING = "https://aws.amazon.com/vpc/pricing/"

# An EKS cluster per hour: in standard support (14 months from a version's release), and in extended
# support (the 12 months after), when the cluster's upgrade policy is EXTENDED.
EKS_STANDARD_SUPPORT = Price(0.10, "cluster hour", EKS_PRICING)
EKS_EXTENDED_SUPPORT = Price(0.60, "cluster hour", EKS_PRICING)
# The blueprint's managed node group: m5.large instances, 2 by default.
M5_LARGE = Price(0.096, "instance hour", EC2_PRICING)
# The stack's NAT gateway (when it creates the VPC), per hour; data processed is per GB on top.
NAT_GATEWAY = Price(0.045, "gateway hour", VPC_PRICING)
NAT_GATEWAY_DATA = Price(0.045, "GB processed", VPC_PRICING)


def eks_cluster_rate(extended_support: bool) -> Price:
    """What an EKS cluster costs per hour in standard or in extended support."""
    return EKS_EXTENDED_SUPPORT if extended_support else EKS_STANDARD_SUPPORT


def usd(amount: float) -> str:
    """``$0.10``: two decimals, as AWS's pricing pages write hourly rates."""
    return f"${amount:.2f}"


# -- What a run costs the control plane (``make bench``'s cost per run) -------------------------------------
# The services a run uses, per use. Free tiers are left out: they are per account, not per run. AWS's own
# events (Batch's job state changes, Step Functions' status changes, a schedule's ticks) are free on the
# default bus; the control plane's "Run Finished" is a custom event. Batch's API calls cost nothing.
STEP_FUNCTIONS_PRICING = "https://aws.amazon.com/step-functions/pricing/"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
DYNAMODB_PRICING = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
EVENTBRIDGE_PRICING = "https://aws.amazon.com/eventbridge/pricing/"

# Standard workflows: $0.025 per 1,000 state transitions.
STATE_TRANSITION = Price(0.000025, "state transition", STEP_FUNCTIONS_PRICING)
# x86: $0.20 per million requests, $0.0000166667 per GB-second of duration.
LAMBDA_REQUEST = Price(0.0000002, "request", LAMBDA_PRICING)
LAMBDA_GB_SECOND = Price(0.0000166667, "GB-second", LAMBDA_PRICING)
# On-demand, Standard table class: $0.625 per million write request units, $0.125 per million read ones.
DYNAMODB_WRITE_UNIT = Price(0.000000625, "write request unit", DYNAMODB_PRICING)
DYNAMODB_READ_UNIT = Price(0.000000125, "read request unit", DYNAMODB_PRICING)
# Custom events put on a bus: $1.00 per million.
EVENTBRIDGE_CUSTOM_EVENT = Price(0.000001, "custom event", EVENTBRIDGE_PRICING)
