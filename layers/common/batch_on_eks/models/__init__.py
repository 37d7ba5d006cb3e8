"""Pure pydantic models of what crosses the control plane's edges: Batch events, run inputs, statuses."""
