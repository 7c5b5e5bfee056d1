"""The cash book: a store's takings per business day, its daily close (日结), HQ's view of every
store's closes, and the franchise stores' share of the online orders they fulfil."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BeforeValidator, Field

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey, MoneyOrZero
from o2o.cashbook import days, selectors
from o2o.cashbook import services as cashbook
from o2o.cashbook.models import DailyClose
from o2o.cashbook.services import MAX_NOTE_LENGTH

router = Router(tags=["cashbook"])

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_date(value: object) -> object:
    """Only "YYYY-MM-DD": a number is not read as a timestamp."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class TakingsLineOut(Schema):
    kind: str
    method: str
    count: int
    taken: Decimal
    refunded: Decimal
    net: Decimal


class CloseOut(Schema):
    id: int
    location_id: int
    location_code: str
    business_date: date
    takings_from: datetime
    takings_to: datetime
    opening_float: Decimal
    expected_cash: Decimal
    counted_cash: Decimal
    variance: Decimal
    variance_flagged: bool
    note: str
    closed_by: str
    closed_at: datetime

    @staticmethod
    def resolve_location_code(close: DailyClose) -> str:
        return close.location.code

    @staticmethod
    def resolve_closed_by(close: DailyClose) -> str:
        return close.closed_by.get_username()


class TakingsOut(Schema):
    location_id: int
    business_date: date
    takings_from: datetime
    takings_to: datetime
    lines: list[TakingsLineOut]
    opening_float: Decimal
    cash_in: Decimal
    cash_out: Decimal
    expected_cash: Decimal
    closed: bool
    close: CloseOut | None


class CloseIn(Schema):
    business_date: IsoDate
    counted_cash: MoneyOrZero
    note: str = Field("", max_length=MAX_NOTE_LENGTH)


class StoreOut(Schema):
    id: int
    code: str
    name: str


class FranchiseDayOut(Schema):
    location_id: int
    location_code: str
    business_date: date
    orders: int
    gross: Decimal
    refunded: Decimal
    net: Decimal
    percent: Decimal
    share: Decimal
    final: bool


class RangeQuery(Schema):
    """Business days from `date_from` to `date_to` (both included; each defaults to today)."""

    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    location_id: Id | None = None

    def days(self) -> tuple[date, date]:
        return self.date_from or days.today(), self.date_to or days.today()


def _takings_out(takings: selectors.Takings) -> dict:
    return {
        "location_id": takings.location.pk,
        "business_date": takings.business_date,
        "takings_from": takings.start,
        "takings_to": takings.end,
        "lines": [{**line.__dict__, "net": line.net} for line in takings.lines],
        "opening_float": takings.opening_float,
        "cash_in": takings.cash_in,
        "cash_out": takings.cash_out,
        "expected_cash": takings.expected_cash,
        "closed": takings.close is not None,
        "close": takings.close,
    }


@router.get("/locations/{location_id}/takings", response=TakingsOut)
def takings(request: HttpRequest, location_id: Id, business_date: IsoDate):
    """A store's takings of a business day by method, and the cash expected in the drawer; a
    closed day answers with its close and the snapshot it kept."""
    return _takings_out(
        selectors.takings_for(actor=actor(request), location_id=location_id, business_date=business_date)
    )


@router.post("/locations/{location_id}/closes", response={201: CloseOut})
def close_day(request: HttpRequest, location_id: Id, payload: CloseIn, idempotency_key: IdempotencyKey = None):
    """Close the store's business day with the cash counted in the drawer. Once per day (409
    `day_already_closed`); a retry with the same Idempotency-Key returns the first close."""
    close = cashbook.close_business_day(
        actor=actor(request),
        location_id=location_id,
        business_date=payload.business_date,
        counted_cash=payload.counted_cash,
        note=payload.note,
        idempotency_key=idempotency_key,
    )
    return Status(201, close)


@router.get("/closes", response=list[CloseOut])
@paginate(CursorPagination, ordering=("-business_date", "id"))
def closes(request: HttpRequest, filters: Query[RangeQuery]):
    """Every store's daily closes of the days in the range (the stores the caller sees)."""
    date_from, date_to = filters.days()
    return selectors.closes_for(
        actor=actor(request), date_from=date_from, date_to=date_to, location_id=filters.location_id
    )


@router.get("/unclosed", response=list[StoreOut])
@paginate(CursorPagination, ordering=("id",))
def unclosed(request: HttpRequest, business_date: IsoDate | None = None):
    """The stores (that the caller sees) whose business day (default: today) is not closed yet."""
    return selectors.stores_not_closed(actor=actor(request), business_date=business_date or days.today())


@router.get("/franchise", response=list[FranchiseDayOut])
def franchise(request: HttpRequest, filters: Query[RangeQuery]):
    """Per franchise store and day: online orders it fulfilled, their net revenue and the share
    owed; `final` once none of them can be refunded any more. At most 92 days per request."""
    date_from, date_to = filters.days()
    found = selectors.franchise_days(
        actor=actor(request), date_from=date_from, date_to=date_to, location_id=filters.location_id
    )
    return [
        {
            "location_id": day.location.pk,
            "location_code": day.location.code,
            "business_date": day.business_date,
            "orders": day.orders,
            "gross": day.gross,
            "refunded": day.refunded,
            "net": day.net,
            "percent": day.percent,
            "share": day.share,
            "final": day.final,
        }
        for day in found
    ]
