"""The control plane's three workflows, by ARN, as the requests that start them see them.

The template names each state machine ``<ResourcePrefix>-<workflow>`` (DESIGN.md "Names"), so a function
can build their ARNs from its own ARN (partition, region, account) and the prefix, as the template itself
builds ``TEARDOWN_STATE_MACHINE_ARN``: no extra settings, and no reference cycle in the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class Workflows:
    run_job: str
    provision: str
    teardown: str

    @classmethod
    def of(cls, function_arn: str, resource_prefix: str) -> Self:
        """From a Lambda function's ARN (``arn:<partition>:lambda:<region>:<account>:function:<name>``)."""
        parts = function_arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda":
            raise ValueError(f"not a Lambda function ARN: {function_arn!r}")
        base = f"arn:{parts[1]}:states:{parts[3]}:{parts[4]}:stateMachine:{resource_prefix}"
        return cls(
            run_job=f"{base}-run-job",
            provision=f"{base}-provision-environment",
            teardown=f"{base}-teardown-environment",
        )
