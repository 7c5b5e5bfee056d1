"""Stocktakes (docs/stocktakes.md): start (freeze the book), scan, submit, approve (post), send
back, cancel.

Lock order: the count row first, then the stock rows in SKU order (inventory's order). Every
step is a conditional UPDATE on the count's state, so two people approving, or a scan racing
the submit, cannot both win.
"""

import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Category
from o2o.catalog.selectors import category_subtree_ids
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.inventory.models import StockLevel
from o2o.inventory.services import post_count_variances
from o2o.stocktakes.models import OPEN_STATES, CountState, StockCount, StockCountLine
from o2o.stocktakes.selectors import sku_by_code
from o2o.stores.selectors import get_location

MAX_SCAN = 100_000
# an aisle as stores label them: "A3", "12", "B-04"; upper case so "a3" and "A3" are one aisle
AISLE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,9}")


def _once(actor: Actor, operation: Operation, key: str | None, perform: Callable[[], dict], **request) -> dict:
    return run_once(scope=f"user:{actor.user_id}", operation=str(operation), key=key,
                    fingerprint=fingerprint(**request), perform=perform)  # fmt: skip


def _count_of(actor: Actor, count_id: int, operation: Operation) -> StockCount:
    """The count, when the actor may do this at its location; a count at a location the actor
    cannot see answers like a missing one."""
    count = StockCount.objects.filter(pk=count_id).first()
    if count is None or not actor.can_see_location(count.location_id):
        raise not_found("stock count")
    authorize(actor, operation, location_id=count.location_id)
    return count


def _locked(count_id: int, *states: str) -> StockCount:
    count = StockCount.objects.select_for_update().get(pk=count_id)
    if count.state not in states:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"this count is {count.state}", state=count.state)
    return count


def _summary(count: StockCount) -> dict:
    return {"id": count.pk, "location_id": count.location_id, "category_id": count.category_id,
            "aisle": count.aisle, "state": count.state, "lines": count.lines.count()}  # fmt: skip


def aisle_code(aisle: str) -> str:
    """The aisle as stored, or a 422 naming the field."""
    code = aisle.strip().upper()
    if not AISLE.fullmatch(code):
        raise DomainError(ErrorCode.INVALID, "an aisle is 1 to 10 letters, digits or dashes, e.g. A3", field="aisle")
    return code


def set_aisle(*, actor: Actor, location_id: int, sku_id: int, aisle: str) -> dict:
    """Shelve a SKU the store holds in one of its aisles (an empty aisle takes it off the shelf
    plan). Setting a value twice is harmless, so no idempotency key. The stock level is
    inventory's row, but only its shelf place changes here: never a quantity."""
    authorize(actor, Operation.SET_STOCK_AISLE, location_id=location_id)
    get_location(location_id=location_id)
    code = aisle_code(aisle) if aisle.strip() else ""
    changed = StockLevel.objects.filter(location_id=location_id, sku_id=sku_id).update(aisle=code)
    if not changed:
        raise DomainError(ErrorCode.INVALID, "this store holds no stock of this SKU", field="sku_id")
    return {"location_id": location_id, "sku_id": sku_id, "aisle": code}


def _scope(location_id: int, category_id: int | None, aisle: str | None) -> str:
    """Check the count's scope; the aisle code to store ("" when not by aisle)."""
    if category_id is not None and aisle is not None:
        raise DomainError(ErrorCode.INVALID, "count one category or one aisle, not both", field="aisle")
    if category_id is not None and not Category.objects.filter(pk=category_id).exists():
        raise DomainError(ErrorCode.INVALID, "no such category", field="category_id")
    if aisle is None:
        return ""
    code = aisle_code(aisle)
    if not StockLevel.objects.filter(location_id=location_id, aisle=code).exists():
        raise DomainError(ErrorCode.INVALID, "nothing is shelved in this aisle at this store", field="aisle")
    return code


def start_count(
    *, actor: Actor, location_id: int, category_id: int | None = None, aisle: str | None = None, note: str = "",
    idempotency_key: str | None = None,
) -> dict:  # fmt: skip
    """Open a count and freeze the book: one line per SKU with stock at the location (in the
    category and its children, or shelved in the aisle, when given), holding the on-hand
    quantity of this moment."""
    authorize(actor, Operation.START_STOCK_COUNT, location_id=location_id)
    get_location(location_id=location_id)
    code = _scope(location_id, category_id, aisle)
    if len(note) > 200:
        raise DomainError(ErrorCode.INVALID, "a note has at most 200 characters", field="note")

    def perform() -> dict:
        try:
            with transaction.atomic():
                count = StockCount.objects.create(location_id=location_id, category_id=category_id, aisle=code,
                                                  note=note.strip(), started_by_id=actor.user_id)  # fmt: skip
        except IntegrityError:
            raise DomainError(ErrorCode.CONFLICT, "a count is already open at this location") from None
        levels = StockLevel.objects.filter(location_id=location_id)
        if category_id is not None:
            levels = levels.filter(sku__product__category_id__in=category_subtree_ids(category_id))
        if code:
            levels = levels.filter(aisle=code)
        StockCountLine.objects.bulk_create(
            StockCountLine(count=count, sku_id=sku_id, book_quantity=on_hand)
            for sku_id, on_hand in levels.values_list("sku_id", "on_hand")
        )
        return _summary(count)

    return _once(actor, Operation.START_STOCK_COUNT, idempotency_key, perform, location_id=location_id,
                 category_id=category_id, aisle=code, note=note)  # fmt: skip


def _in_aisle(count: StockCount, sku_id: int) -> bool:
    """On the count's sheet since the start, or shelved in its aisle since (moved there during the count)."""
    shelved = StockLevel.objects.filter(location_id=count.location_id, sku_id=sku_id, aisle=count.aisle)
    return count.lines.filter(sku_id=sku_id).exists() or shelved.exists()


def record_scan(
    *, actor: Actor, count_id: int, code: str, quantity: int = 1, replace: bool = False,
    idempotency_key: str | None = None,
) -> dict:  # fmt: skip
    """Add what was scanned to a SKU's count (a negative quantity takes a mis-scan back), or
    with `replace` set the count to the quantity. A SKU the book did not know at the start was
    not there then: its line starts from a book of 0."""
    count = _count_of(actor, count_id, Operation.SCAN_STOCK_COUNT)
    if isinstance(quantity, bool) or not -MAX_SCAN <= quantity <= MAX_SCAN or (quantity == 0 and not replace):
        raise DomainError(ErrorCode.INVALID, "scan a quantity other than 0", field="quantity")
    if replace and quantity < 0:
        raise DomainError(ErrorCode.INVALID, "a count cannot be negative", field="quantity")
    sku = sku_by_code(code)
    if count.category_id is not None and sku.product.category_id not in category_subtree_ids(count.category_id):
        raise DomainError(ErrorCode.INVALID, "this SKU is not in the category being counted", field="code")
    if count.aisle and not _in_aisle(count, sku.pk):
        raise DomainError(ErrorCode.INVALID, "this SKU is not shelved in the aisle being counted", field="code")

    def perform() -> dict:
        _locked(count_id, CountState.COUNTING)
        line, _ = StockCountLine.objects.get_or_create(count_id=count_id, sku=sku, defaults={"book_quantity": 0})
        counted = quantity if replace else Coalesce(F("counted_quantity"), 0) + quantity
        row = StockCountLine.objects.filter(pk=line.pk)
        if not replace and quantity < 0:
            row = row.filter(counted_quantity__gte=-quantity)
        changed = row.update(counted_quantity=counted, counted_by_id=actor.user_id, counted_at=timezone.now())
        if not changed:
            raise DomainError(ErrorCode.INVALID, "that takes back more than was counted", field="quantity")
        line.refresh_from_db()
        return {"count_id": count_id, "sku_id": sku.pk, "sku_code": sku.code, "book_quantity": line.book_quantity,
                "counted_quantity": line.counted_quantity}  # fmt: skip

    return _once(actor, Operation.SCAN_STOCK_COUNT, idempotency_key, perform, count_id=count_id, code=code,
                 quantity=quantity, replace=replace)  # fmt: skip


def _move(actor: Actor, count_id: int, operation: Operation, source: tuple[str, ...], target: str) -> dict:
    _count_of(actor, count_id, operation)
    with transaction.atomic(durable=True):
        count = _locked(count_id, *source)
        changes: dict = {"state": target}
        if target == CountState.SUBMITTED:
            changes["submitted_at"] = timezone.now()
        if target == CountState.CANCELLED:
            changes |= {"decided_by_id": actor.user_id, "decided_at": timezone.now()}
        # conditional on the state the lock saw: the database, not only this code, keeps one winner
        StockCount.objects.filter(pk=count_id, state__in=source).update(**changes)
        count.refresh_from_db()
        return _summary(count)


def submit_count(*, actor: Actor, count_id: int) -> dict:
    """The counters are done: the count waits for the manager's approval (no more scans)."""
    return _move(actor, count_id, Operation.SCAN_STOCK_COUNT, (CountState.COUNTING,), CountState.SUBMITTED)


def send_back_count(*, actor: Actor, count_id: int) -> dict:
    """The manager wants a recount: the count is open for scans again."""
    return _move(actor, count_id, Operation.APPROVE_STOCK_COUNT, (CountState.SUBMITTED,), CountState.COUNTING)


def cancel_count(*, actor: Actor, count_id: int) -> dict:
    """Drop an open count; the book stays as it is."""
    return _move(actor, count_id, Operation.START_STOCK_COUNT, OPEN_STATES, CountState.CANCELLED)


def approve_count(*, actor: Actor, count_id: int, idempotency_key: str | None = None) -> dict:
    """Post the variances of the counted lines to the book as "count" moves (uncounted lines
    are left as they are), in one transaction: every line or none."""
    _count_of(actor, count_id, Operation.APPROVE_STOCK_COUNT)

    def perform() -> dict:
        count = _locked(count_id, CountState.SUBMITTED)
        lines = list(count.lines.filter(counted_quantity__isnull=False))
        variances = {line.sku_id: line.counted_quantity - line.book_quantity for line in lines}
        try:
            post_count_variances(location_id=count.location_id, variances=variances, actor_id=actor.user_id,
                                 reference=f"count:{count.pk}")  # fmt: skip
        except DomainError as error:
            raise DomainError(
                ErrorCode.INSUFFICIENT_STOCK,
                "a counted quantity is below the units reserved for orders: recount it",
                sku_id=error.extra.get("sku_id"),
            ) from None
        for line in lines:
            line.posted_quantity = variances[line.sku_id]
        StockCountLine.objects.bulk_update(lines, ["posted_quantity"])
        StockCount.objects.filter(pk=count_id, state=CountState.SUBMITTED).update(
            state=CountState.POSTED, decided_by_id=actor.user_id, decided_at=timezone.now()
        )
        count.refresh_from_db()
        return _summary(count) | {"posted": sum(1 for v in variances.values() if v)}

    return _once(actor, Operation.APPROVE_STOCK_COUNT, idempotency_key, perform, count_id=count_id)
