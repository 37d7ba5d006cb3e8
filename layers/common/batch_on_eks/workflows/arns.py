"""The control plane's workflows, by ARN, as the functions that start them see them.

The template names each state machine ``<ResourcePrefix>-<workflow>``, so a function can build their ARNs
from its own ARN (partition, region, account) and the prefix, as the template itself builds
``TEARDOWN_STATE_MACHINE_ARN``: no extra settings, and no reference cycle in the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class Place:
    """Where the control plane runs, from a Lambda function's own ARN
    (``arn:<partition>:lambda:<region>:<account>:function:<name>``)."""

    partition: str
    region: str
    account: str

    @classmethod
    def of_function(cls, function_arn: str) -> Self:
        parts = function_arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda":
            raise ValueError(f"not a Lambda function ARN: {function_arn!r}")
        return cls(partition=parts[1], region=parts[3], account=parts[4])

    def as_dict(self) -> dict[str, str]:
        return {"partition": self.partition, "region": self.region, "account": self.account}


@dataclass(frozen=True)
class Workflows:
    run_job: str
    provision: str
    teardown: str

    @classmethod
    def of(cls, function_arn: str, resource_prefix: str) -> Self:
        place = Place.of_function(function_arn)
        base = f"arn:{place.partition}:states:{place.region}:{place.account}:stateMachine:{resource_prefix}"
        return cls(
            run_job=f"{base}-run-job",
            provision=f"{base}-provision-environment",
            teardown=f"{base}-teardown-environment",
        )
