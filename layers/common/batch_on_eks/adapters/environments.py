"""The environments table (read side; the provisioning workflow writes it)."""

from __future__ import annotations

from batch_on_eks.clients import table
from batch_on_eks.models.environment import Environment


class EnvironmentStore:
    def __init__(self, table_name: str):
        self.table = table(table_name)

    def get(self, name: str) -> Environment | None:
        item = self.table.get_item(Key={"name": name}, ConsistentRead=True).get("Item")
        return Environment.model_validate(item) if item else None
