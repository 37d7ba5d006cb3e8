"""What the docs and the template say an environment costs comes from one price table
(layers/common/batch_on_eks/models/prices.py): every dollar figure the README's Costs section and the
ProvisionBlueprintOnDeploy parameter's description write is the table's, or a sum of its prices, and both
state the EKS control plane's standard and extended rates and the date the prices were read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from batch_on_eks.models.prices import (
    EKS_EXTENDED_SUPPORT,
    EKS_STANDARD_SUPPORT,
    M5_LARGE,
    NAT_GATEWAY,
    NAT_GATEWAY_DATA,
    PRICES_AS_OF,
    usd,
)
from tests.conftest import REPO_ROOT

NODES = 2  # the blueprint's managed node group (models/environment_input.py, nodeGroup.desiredSize)
_DOLLARS = re.compile(r"\$(\d+\.\d+)")


def _hourly(control_plane: float) -> float:
    return control_plane + NODES * M5_LARGE.usd + NAT_GATEWAY.usd


# Every figure the texts may write: a price of the table, the nodes' sum, and the hourly totals.
FIGURES = {
    usd(EKS_STANDARD_SUPPORT.usd): "EKS, standard support",
    usd(EKS_EXTENDED_SUPPORT.usd): "EKS, extended support",
    f"${M5_LARGE.usd:.3f}": "an m5.large",
    f"${NODES * M5_LARGE.usd:.3f}": "the managed nodes",
    f"${NAT_GATEWAY.usd:.3f}": "the NAT gateway, per hour",
    f"${NAT_GATEWAY_DATA.usd:.3f}": "the NAT gateway, per GB",
    usd(_hourly(EKS_STANDARD_SUPPORT.usd)): "in all, standard support",
    usd(_hourly(EKS_EXTENDED_SUPPORT.usd)): "in all, extended support",
}


def _readme_costs() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Costs\n(.*?)(?=^## )", readme, re.DOTALL | re.MULTILINE)
    assert match is not None, "the README has no Costs section"
    return match.group(1)


def _texts(template: dict[str, Any]) -> dict[str, str]:
    return {
        "README, Costs": _readme_costs(),
        "template, ProvisionBlueprintOnDeploy": template["Parameters"]["ProvisionBlueprintOnDeploy"][
            "Description"
        ],
    }


@pytest.mark.parametrize("where", ["README, Costs", "template, ProvisionBlueprintOnDeploy"])
def test_every_figure_is_the_price_tables(template: dict[str, Any], where: str) -> None:
    text = _texts(template)[where]
    # Given the dollar figures the text writes
    written = {f"${amount}" for amount in _DOLLARS.findall(text)}
    # Then each is a price of the table or a sum of them
    assert written - set(FIGURES) == set(), f"{where} writes figures the price table does not give"
    # And it states both rates of the control plane, the totals with each, and the prices' date
    for figure in (
        usd(EKS_STANDARD_SUPPORT.usd),
        usd(EKS_EXTENDED_SUPPORT.usd),
        usd(_hourly(EKS_STANDARD_SUPPORT.usd)),
        usd(_hourly(EKS_EXTENDED_SUPPORT.usd)),
    ):
        assert figure in written, f"{where} does not state {figure} ({FIGURES[figure]})"
    assert PRICES_AS_OF in text, f"{where} does not date its prices ({PRICES_AS_OF})"
