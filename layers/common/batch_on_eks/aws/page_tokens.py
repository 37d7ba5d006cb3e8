"""Opaque page tokens for listings: DynamoDB's ``LastEvaluatedKey``, as URL-safe base64 of its JSON.

A token comes back from the client, so it is checked before DynamoDB sees it: it must be a key of the
listing it came from (the same attribute names, every value a string, and the values the listing fixes,
such as the environment, unchanged). Anything else is ``InvalidInput`` on ``nextToken``, never a DynamoDB
error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from batch_on_eks.errors import InvalidInput

FIELD = "nextToken"
# A DynamoDB key of three strings fits well within this; longer is not one of ours.
MAX_TOKEN_LENGTH = 2048


def encode(key: Mapping[str, Any] | None) -> str | None:
    if key is None:
        return None
    text = json.dumps(dict(key), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(token: str | None, rules: Mapping[str, Callable[[str], bool]]) -> dict[str, str] | None:
    """The key a token stands for (None for no token). ``rules`` names each attribute of the key and
    accepts or refuses its value."""
    if token is None:
        return None
    refused = InvalidInput.field(FIELD, "not a page token this listing handed out")
    if len(token) > MAX_TOKEN_LENGTH:
        raise refused
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise refused from None
    if not isinstance(key, dict) or set(key) != set(rules):
        raise refused
    for name, accepts in rules.items():
        value = key[name]
        if not isinstance(value, str) or not value or not accepts(value):
            raise refused
    return key
