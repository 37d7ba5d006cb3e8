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
