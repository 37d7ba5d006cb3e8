"""Starting the control plane's workflows once: their ARNs, execution names, idempotent starts."""
