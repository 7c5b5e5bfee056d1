"""Writes of the cash book: closing a store's business day (日结)."""

import logging
from datetime import date
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.cashbook import days
from o2o.cashbook.models import DailyClose
from o2o.cashbook.selectors import store_takings, variance_alert
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import to_money
from o2o.stores.models import Location
from o2o.stores.selectors import get_location

logger = logging.getLogger("o2o.cashbook")

MAX_NOTE_LENGTH = 500


def _already_closed(location_id: int, business_date: date) -> DomainError:
    return DomainError(
        ErrorCode.DAY_ALREADY_CLOSED,
        "this store's business day is closed already",
        location_id=location_id,
        business_date=business_date.isoformat(),
    )


def close_business_day(
    *,
    actor: Actor,
    location_id: int,
    business_date: date,
    counted_cash: Decimal,
    note: str = "",
    idempotency_key: str | None = None,
) -> DailyClose:
    """Close a store's day once: the cash counted in the drawer against the cash expected.

    A second close of the day is a 409 (`day_already_closed`), also when two arrive at once (the
    unique (location, business date) decides); a retry with the same idempotency key returns the
    first close. A day that has not begun yet cannot be closed."""
    authorize(actor, Operation.CLOSE_BUSINESS_DAY, location_id=location_id)
    if actor.user is None:
        raise DomainError(ErrorCode.FORBIDDEN, "a person signs a daily close")
    location = get_location(location_id=location_id)
    if location.kind != Location.Kind.STORE:
        raise DomainError(ErrorCode.INVALID, "only a store has a cash drawer to close", kind=location.kind)
    if business_date > days.today():
        raise DomainError(
            ErrorCode.INVALID, "a day that has not begun cannot be closed", business_date=str(business_date)
        )
    if counted_cash < 0 or to_money(counted_cash) != counted_cash:
        raise DomainError(ErrorCode.INVALID, "counted cash is an amount of at least 0.00 with two places")
    if len(note) > MAX_NOTE_LENGTH:
        raise DomainError(ErrorCode.INVALID, f"a note has at most {MAX_NOTE_LENGTH} characters")
    try:
        result = run_once(
            scope=f"user:{actor.user_id}",
            operation=f"close_business_day:{location_id}",
            key=idempotency_key,
            fingerprint=fingerprint(location=location_id, date=business_date, counted=str(counted_cash), note=note),
            perform=lambda: {"close_id": _close(actor, location, business_date, counted_cash, note).pk},
        )
    except IntegrityError:
        # Another close of the same day committed while this one worked: the unique constraint
        # refused this one, and nothing of it was written.
        if DailyClose.objects.filter(location_id=location_id, business_date=business_date).exists():
            raise _already_closed(location_id, business_date) from None
        raise
    return DailyClose.objects.select_related("location", "closed_by").get(pk=result["close_id"])


def _close(actor: Actor, location: Location, business_date: date, counted_cash: Decimal, note: str) -> DailyClose:
    if DailyClose.objects.filter(location=location, business_date=business_date).exists():
        raise _already_closed(location.pk, business_date)
    now = timezone.now()
    takings = store_takings(location=location, business_date=business_date, now=now)
    expected = takings.expected_cash
    variance = counted_cash - expected
    flagged = abs(variance) > variance_alert()
    close = DailyClose.objects.create(
        location=location,
        business_date=business_date,
        takings_from=takings.start,
        takings_to=takings.end,
        opening_float=takings.opening_float,
        expected_cash=expected,
        counted_cash=counted_cash,
        variance=variance,
        variance_flagged=flagged,
        takings=takings.snapshot(),
        note=note,
        closed_by=actor.user,
        closed_at=now,
    )
    if flagged:
        transaction.on_commit(
            partial(
                logger.warning,
                "daily close %s of store %s on %s: variance %s exceeds %s",
                close.pk,
                location.code,
                business_date,
                variance,
                variance_alert(),
            )
        )
    return close
