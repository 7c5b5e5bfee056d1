"""Stocktakes (docs/stocktakes.md): count sessions at a location, scans, approval."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.stocktakes import selectors, services

router = Router(tags=["stocktakes"])


class CountIn(Schema):
    location_id: Id
    category_id: Id | None = None
    aisle: str | None = Field(None, max_length=10, description="count one aisle of the store's shelf plan")
    note: str = Field("", max_length=200)


class CountOut(Schema):
    id: int
    location_id: int
    category_id: int | None
    aisle: str
    state: str
    lines: int


class CountRowOut(Schema):
    id: int
    location_id: int
    category_id: int | None
    aisle: str
    state: str
    note: str
    started_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None


class ScanIn(Schema):
    code: str = Field(min_length=1, max_length=selectors.MAX_CODE)
    quantity: StrictInt = Field(1, ge=-services.MAX_SCAN, le=services.MAX_SCAN)
    replace: StrictBool = False


class ScanOut(Schema):
    count_id: int
    sku_id: int
    sku_code: str
    book_quantity: int
    counted_quantity: int


class ApprovedOut(CountOut):
    posted: int


class VarianceLineOut(Schema):
    sku_id: int
    sku_code: str
    sku_name: str
    book_quantity: int
    counted_quantity: int | None
    variance: int | None
    unit_price: Decimal | None
    variance_value: Decimal | None


class ReportOut(Schema):
    count: CountRowOut
    counted: int
    not_counted: int
    units_over: int
    units_short: int
    value_over: Decimal
    value_short: Decimal
    lines: list[VarianceLineOut]


@router.post("", response={201: CountOut})
def start(request: HttpRequest, payload: CountIn, idempotency_key: IdempotencyKey = None):
    """Open a count at a location (all of it, or one category) and freeze the book; one open
    count per location (409)."""
    started = services.start_count(actor=actor(request), location_id=payload.location_id,
                                   category_id=payload.category_id, aisle=payload.aisle, note=payload.note,
                                   idempotency_key=idempotency_key)  # fmt: skip
    return Status(201, started)


@router.get("/locations/{location_id}", response=list[CountRowOut])
@paginate(CursorPagination, ordering=("-started_at", "-id"))
def counts_at(request: HttpRequest, location_id: Id):
    return selectors.counts_at(actor=actor(request), location_id=location_id)


class AisleIn(Schema):
    aisle: str = Field(max_length=10, description="e.g. A3; empty takes the SKU off the shelf plan")


class AisleOut(Schema):
    location_id: int
    sku_id: int
    aisle: str


@router.put("/locations/{location_id}/aisles/{sku_id}", response=AisleOut)
def set_aisle(request: HttpRequest, location_id: Id, sku_id: Id, payload: AisleIn):
    """Where the store shelves a SKU it holds (the store's manager)."""
    return services.set_aisle(actor=actor(request), location_id=location_id, sku_id=sku_id, aisle=payload.aisle)


class ReasonOut(Schema):
    reason: str
    units: int
    value: Decimal


class StoreShrinkageOut(Schema):
    location_id: int | None
    name: str
    counts_approved: int
    variance_units: int
    variance_value: Decimal
    by_reason: list[ReasonOut]


class ShrinkageOut(Schema):
    since: datetime
    until: datetime
    stores: list[StoreShrinkageOut]
    totals: StoreShrinkageOut


def _store_out(row: selectors.StoreShrinkage) -> dict:
    reasons = [{"reason": reason, "units": units, "value": value} for reason, (units, value) in row.by_reason.items()]
    return {**row.__dict__, "by_reason": reasons}


@router.get("/shrinkage", response=ShrinkageOut)
def shrinkage(request: HttpRequest, since: date | None = None, until: date | None = None):
    """Counts approved, their variances and the stock corrections by reason per store, for the
    days since..until (both included; the last 30 days by default)."""
    report = selectors.shrinkage(actor=actor(request), first=since, last=until)
    return {"since": report.since, "until": report.until, "stores": [_store_out(row) for row in report.stores],
            "totals": _store_out(report.totals)}  # fmt: skip


@router.get("/{count_id}", response=ReportOut)
def report(request: HttpRequest, count_id: Id):
    """The variance report: book at the start, counted, variance in units and at the counter price."""
    report = selectors.variance_report(actor=actor(request), count_id=count_id)
    return {**report.__dict__, "lines": [line.__dict__ for line in report.lines]}


@router.post("/{count_id}/scans", response=ScanOut)
def scan(request: HttpRequest, count_id: Id, payload: ScanIn, idempotency_key: IdempotencyKey = None):
    """Add a scanned quantity to a SKU (barcode or SKU code), or set it with `replace`. Send an
    Idempotency-Key: a retried scan is then counted once."""
    return services.record_scan(actor=actor(request), count_id=count_id, code=payload.code,
                                quantity=payload.quantity, replace=payload.replace,
                                idempotency_key=idempotency_key)  # fmt: skip


@router.post("/{count_id}/submit", response=CountOut)
def submit(request: HttpRequest, count_id: Id):
    return services.submit_count(actor=actor(request), count_id=count_id)


@router.post("/{count_id}/send-back", response=CountOut)
def send_back(request: HttpRequest, count_id: Id):
    return services.send_back_count(actor=actor(request), count_id=count_id)


@router.post("/{count_id}/cancel", response=CountOut)
def cancel(request: HttpRequest, count_id: Id):
    return services.cancel_count(actor=actor(request), count_id=count_id)


@router.post("/{count_id}/approve", response=ApprovedOut)
def approve(request: HttpRequest, count_id: Id, idempotency_key: IdempotencyKey = None):
    """Post the counted lines' variances to the book as "count" moves, all or none."""
    return services.approve_count(actor=actor(request), count_id=count_id, idempotency_key=idempotency_key)
