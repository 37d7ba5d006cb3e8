"""The stack's own lifecycle: its custom resources at deploy time and the teardown at `sam delete`."""
