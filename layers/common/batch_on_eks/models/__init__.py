"""Models of what crosses the control plane's edges: Batch events, run inputs, statuses.

Run inputs and environment records are pydantic; what the hot-path functions load (Batch events, runs,
statuses) is plain dataclasses, so that their cold starts never import pydantic.
"""
