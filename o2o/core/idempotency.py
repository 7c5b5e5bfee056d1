"""Idempotency keys for every request that moves money or stock.

A service that takes an `idempotency_key` runs its work through `run_once`: the work and the
record of its result commit in one transaction, so a retry with the same key (and the same
request) gets the first result back, a retry racing the first one waits for it on the unique
constraint, and the same key for a different request is a 409.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.models import IdempotencyRecord

MAX_KEY_LENGTH = 80


def fingerprint(**request: Any) -> str:
    """A stable digest of what was asked (sorted keys; non-JSON values by their str())."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def replay(*, scope: str, operation: str, key: str, fingerprint: str) -> dict | None:
    """The first result under this key, or None; a different request under the same key is a 409."""
    record = IdempotencyRecord.objects.filter(scope=scope, operation=operation, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for another request")
    return record.result


def run_once(
    *,
    scope: str,
    operation: str,
    key: str | None,
    fingerprint: str,
    perform: Callable[[], dict],
) -> dict:
    """Run `perform` in one durable transaction and remember its (JSON) result under the key.

    Without a key it simply runs. `perform` must do all its writes in the caller's transaction
    (no durable atomics of its own)."""
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.INVALID, f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
    if key is None:
        with transaction.atomic(durable=True):
            return perform()
    if (first := replay(scope=scope, operation=operation, key=key, fingerprint=fingerprint)) is not None:
        return first
    try:
        with transaction.atomic(durable=True):
            # Claim the key first: a retry racing this request blocks on the unique key until we
            # commit, then reads our result, instead of doing the work a second time.
            record = IdempotencyRecord.objects.create(
                scope=scope, operation=operation, key=key, fingerprint=fingerprint
            )
            result = perform()
            IdempotencyRecord.objects.filter(pk=record.pk).update(result=result)
            return result
    except IntegrityError:
        # Lost the race for the key (the first request committed meanwhile): answer with its
        # result; an IntegrityError from the work itself has no record behind it and is re-raised.
        if (first := replay(scope=scope, operation=operation, key=key, fingerprint=fingerprint)) is not None:
            return first
        raise
