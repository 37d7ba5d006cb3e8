"""The control plane's own EventBridge events: the ones it listens for and the one it publishes.

The names are part of the product's interface (docs/runs.md documents them, the template's rules match
them), so they live in one place. Sources never start with ``aws.``: EventBridge reserves that prefix for
AWS services, and PutEvents refuses it.
"""

from __future__ import annotations

# Someone asks for a run: ``detail`` is the run-job input (docs/runs.md, "Start runs from EventBridge").
RUN_REQUEST_SOURCE = "batch-on-eks.client"
RUN_REQUEST_DETAIL_TYPE = "Run Job Requested"

# EventBridge's own scheduled events, as the schedule rule's input transformer shapes them for us.
SCHEDULED_DETAIL_TYPE = "Scheduled Event"

# The control plane announces that a run ended, whatever the way (docs/runs.md, "The Run Finished event").
RUN_FINISHED_SOURCE = "batch-on-eks"
RUN_FINISHED_DETAIL_TYPE = "Run Finished"
