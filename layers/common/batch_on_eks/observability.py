"""The Powertools Logger, created once and shared by every module.

The Tracer (X-Ray SDK) roughly doubles a cold start; Lambda's active tracing (``Tracing: Active`` in the
template) already traces each invocation and its AWS calls' latency at the edge, so it is not used.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger()
