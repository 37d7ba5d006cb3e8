"""Names of the executions the control plane starts, chosen so that a repeated request or a redelivered
event starts nothing new.

Step Functions refuses a second execution of a name on a state machine (``ExecutionAlreadyExists``; names
are unique for 90 days after an execution ends). So a request that carries an idempotency key gets an
execution name derived from the key and what was asked: the caller, the method and the path. Sent twice,
it names the same execution, and the second request finds the first one's execution instead of starting
another. Without a key every request gets a new random name. An event (EventBridge delivers at least once)
names its execution after its own id.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

# Step Functions' execution names: 1 to 80 characters, no whitespace, wildcards, brackets or control
# characters. Ours are "<kind>-" and 64 lowercase hex digits at most (a sha256 or a uuid4), so always valid.
MAX_EXECUTION_NAME = 80
_KIND = re.compile(r"[a-z]{1,15}")

# What a client may send as a key: printable ASCII without spaces, as most APIs with such a header accept
# (a UUID is the usual choice). The key itself never reaches AWS: only its hash does.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
# Letters, digits, "-" and "_" are safe everywhere (a name becomes part of ARNs, log streams and the Batch
# job's name suffix).
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def execution_name(prefix: str, event_id: str) -> str:
    """``<prefix><event id>``; an id that is long or has other characters is replaced by its SHA-256
    (EventBridge's ids are UUIDs, but the name must stay valid whatever arrives)."""
    if _SAFE_ID.fullmatch(event_id):
        return f"{prefix}{event_id}"
    return f"{prefix}{hashlib.sha256(event_id.encode()).hexdigest()[:64]}"


@dataclass(frozen=True)
class RequestOrigin:
    """Who asked for what: the caller (an IAM ARN through the API), the operation (``POST /jobs``: its
    method and path) and the caller's idempotency key, if it sent one."""

    caller: str
    operation: str
    idempotency_key: str | None = None

    def execution_name(self, kind: str) -> str:
        """``<kind>-<64 hex>``: from the key, the caller and the operation; random without a key.

        The caller is part of the hash so that two callers who happen to choose the same key never share
        an execution; the operation, so that one key sent to two operations starts both.
        """
        if not _KIND.fullmatch(kind):
            raise ValueError(f"an execution kind is 1 to 15 lowercase letters (got {kind!r})")
        if self.idempotency_key is None:
            suffix = uuid.uuid4().hex
        else:
            material = "\n".join((self.caller, self.operation, self.idempotency_key))
            suffix = hashlib.sha256(material.encode()).hexdigest()
        name = f"{kind}-{suffix}"
        assert len(name) <= MAX_EXECUTION_NAME
        return name
