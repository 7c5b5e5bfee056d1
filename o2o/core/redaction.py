"""Secrets and personal data kept out of what people read: the back office and the logs.

A one-time code, a token, a pickup code, a signature or a pay-link reference is shown masked or
not at all; a database error is logged without the row it was about.
"""

import re
from typing import Any

MASK = "••••"
# Keys of a gateway payload (or any JSON we keep) whose values prove or grant something.
_SECRET_KEY = re.compile(r"sign|secret|token|password|passwd|key|otp", re.IGNORECASE)


def mask_tail(value: str | None, *, keep: int = 4) -> str:
    """All but the last `keep` characters hidden: enough to tell two values apart, not to use one."""
    if not value:
        return ""
    return MASK + value[-keep:] if len(value) > keep else MASK


def mask_secrets(data: Any) -> Any:
    """A copy of JSON data with the value of every secret-looking key masked, at any depth."""
    if isinstance(data, dict):
        return {k: MASK if _SECRET_KEY.search(str(k)) else mask_secrets(v) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_secrets(v) for v in data]
    return data


def database_error_text(exc: Exception) -> str:
    """What a database error says, without the values it was about. PostgreSQL's DETAIL line
    carries the key or the whole failing row (a pickup code, a phone, a message's one-time code)."""
    diag = getattr(exc.__cause__, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return primary or str(exc).split("\n", 1)[0]
