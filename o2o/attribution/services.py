"""Writes of attribution: publishing a matrix version, crediting an order's lines when it is paid,
and reversing credits when units come back. docs/attribution.md tells the rules.

The crediting runs inside the paying transaction (an ORDER_PAID handler, under the order's lock),
so it costs few statements: the order's facts and lines read with the order, the matrix kept per
process (read again only when a version is published), (for a POS sale by an employee away from
home) one loan look-up, and one bulk INSERT that a replay finds done.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.attribution.defaults import DEFAULT_EFFECTIVE_FROM, DEFAULT_MATRIX
from o2o.attribution.models import (
    MATRIX_PARTIES,
    CreditKind,
    Lead,
    LineCredit,
    MatrixVersion,
    Party,
    Touchpoint,
    TouchpointRule,
    TouchpointShare,
)
from o2o.catalog.models import Channel
from o2o.core import events
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.inserts import insert_all_unless_conflicting
from o2o.core.models import ReferenceVersion
from o2o.core.money import to_money
from o2o.core.versioned import VersionedSnapshot
from o2o.orders.models import Fulfilment, Order
from o2o.orders.selectors import lines_of
from o2o.pricing.allocation import share_of_units
from o2o.staffing.selectors import active_loan
from o2o.stores.models import Location

HUNDRED = Decimal(100)


# --- which touchpoint an order's lines get -------------------------------------------------------


@dataclass(frozen=True)
class SaleFacts:
    """What decides an order's touchpoint."""

    has_referrer: bool
    at_pos: bool
    cashier_on_loan: bool  # the POS cashier was lent to the selling store when the order was paid
    fulfilled_elsewhere: bool  # fulfilment location differs from the selling store
    fulfilment: str


# First match wins (docs/attribution.md has the same table).
TOUCHPOINT_TABLE: list[tuple[Callable[[SaleFacts], bool], Touchpoint]] = [
    (lambda f: f.has_referrer, Touchpoint.SHARE_LINK_SALE),
    (lambda f: f.at_pos and f.cashier_on_loan, Touchpoint.SUPPORT_SALE),
    (lambda f: f.at_pos and f.fulfilled_elsewhere, Touchpoint.ENDLESS_AISLE),
    (lambda f: f.at_pos, Touchpoint.STORE_SALE),
    (lambda f: f.fulfilment == Fulfilment.PICKUP, Touchpoint.STORE_PICKUP),
    (lambda f: True, Touchpoint.ONLINE_ORDER),
]


def touchpoint_for(facts: SaleFacts) -> Touchpoint:
    return next(touchpoint for matches, touchpoint in TOUCHPOINT_TABLE if matches(facts))


# --- the matrix ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareIn:
    party: str
    percent: Decimal
    is_owner: bool = False


@dataclass(frozen=True)
class RuleIn:
    touchpoint: str
    lead: str
    shares: list[ShareIn]


def _invalid(message: str, **extra: Any) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, **extra)


def _check_rules(rules: list[RuleIn]) -> None:
    """A version lists every touchpoint once; each rule's shares name distinct matrix parties with
    0 < percent <= 100 (two places), exactly one owner, adding up to 100."""
    touchpoints = [rule.touchpoint for rule in rules]
    if sorted(touchpoints) != sorted(Touchpoint.values):
        missing = sorted(set(Touchpoint.values) - set(touchpoints))
        raise _invalid("a version lists every touchpoint exactly once", missing=missing)
    for rule in rules:
        if rule.lead not in Lead.values:
            raise _invalid("lead is online or offline", touchpoint=rule.touchpoint)
        parties = [share.party for share in rule.shares]
        if not parties or any(p not in MATRIX_PARTIES for p in parties) or len(set(parties)) != len(parties):
            raise _invalid("each share names a different party of the matrix", touchpoint=rule.touchpoint)
        for share in rule.shares:
            if not (0 < share.percent <= HUNDRED) or share.percent != share.percent.quantize(Decimal("0.01")):
                raise _invalid("a share is above 0 and at most 100 percent, two places", touchpoint=rule.touchpoint)
        if sum(1 for share in rule.shares if share.is_owner) != 1:
            raise _invalid("each touchpoint has exactly one owner", touchpoint=rule.touchpoint)
        total = sum((share.percent for share in rule.shares), Decimal(0))
        if total != HUNDRED:
            raise _invalid("the shares of a touchpoint add up to 100", touchpoint=rule.touchpoint, total=str(total))


def publish_matrix_version(
    *, actor: Actor, effective_from: date, rules: list[RuleIn], note: str = "", idempotency_key: str | None = None
) -> MatrixVersion:
    """A new version of the matrix, in force for orders paid from `effective_from` (today or later)
    until the next version's date. Credits already written are never touched."""
    authorize(actor, Operation.PUBLISH_TOUCHPOINT_MATRIX)
    if effective_from < timezone.localdate():
        raise _invalid("a new version takes effect today or later, never in the past")
    _check_rules(rules)
    if len(note) > 200:
        raise _invalid("the note has at most 200 characters")

    def perform() -> dict:
        if MatrixVersion.objects.filter(effective_from=effective_from).exists():
            raise DomainError(ErrorCode.CONFLICT, "a version takes effect on that date already")
        try:
            version = MatrixVersion.objects.create(effective_from=effective_from, note=note, created_by=actor.user)
        except IntegrityError as error:  # a racing publish for the same date won
            raise DomainError(ErrorCode.CONFLICT, "a version takes effect on that date already") from error
        _matrix.bump()
        for rule_in in rules:
            rule = TouchpointRule.objects.create(version=version, touchpoint=rule_in.touchpoint, lead=rule_in.lead)
            TouchpointShare.objects.bulk_create(
                TouchpointShare(rule=rule, party=s.party, percent=s.percent, is_owner=s.is_owner)
                for s in rule_in.shares
            )
        return {"version_id": version.pk}

    request = fingerprint(
        effective_from=effective_from.isoformat(),
        note=note,
        rules=[[r.touchpoint, r.lead, [[s.party, str(s.percent), s.is_owner] for s in r.shares]] for r in rules],
    )
    result = run_once(
        scope=actor.idempotency_scope,
        operation="publish_touchpoint_matrix",
        key=idempotency_key,
        fingerprint=request,
        perform=perform,
    )
    return MatrixVersion.objects.get(pk=result["version_id"])


def seed_default_matrix() -> MatrixVersion:
    """The default matrix (defaults.py), effective 2000-01-01, unless it exists. Concurrent callers
    meet on the unique date: the loser reads the winner's version, whose rules came with it."""
    with transaction.atomic():
        version, created = MatrixVersion.objects.get_or_create(
            effective_from=DEFAULT_EFFECTIVE_FROM, defaults={"note": "default matrix"}
        )
        if created:
            _matrix.bump()
            for touchpoint, (lead, shares) in DEFAULT_MATRIX.items():
                rule = TouchpointRule.objects.create(version=version, touchpoint=touchpoint, lead=lead)
                TouchpointShare.objects.bulk_create(
                    TouchpointShare(rule=rule, party=party, percent=Decimal(percent), is_owner=owner)
                    for party, percent, owner in shares
                )
        else:
            # The winner has committed (get_or_create waited for it), but this process's snapshot may
            # not show its version yet: read the committed matrix now.
            _matrix.refresh()
    return version


# --- crediting an order ----------------------------------------------------------------------------


# What decides an order's credits besides its channel and fulfilment (one query: `_facts_of`).
FACT_FIELDS = (
    "referrer_id",
    "selling_location_id",
    "fulfilment_location_id",
    "fulfilment_location__ownership",
    "fulfilment_location__franchise_share_percent",
    "member__acquiring_employee_id",
    "placed_by__employee__id",
    "placed_by__employee__home_location_id",
)


def _facts_of(order: Order) -> dict:
    """The order's parties and places in one query, or none when the order was read with its member
    and store and has no clerk (an online order as the payment callback locks it)."""
    loaded = (order.member_id is None or Order.member.is_cached(order)) and Order.fulfilment_location.is_cached(order)
    if not loaded or order.placed_by_id is not None:
        return Order.objects.filter(pk=order.pk).values(*FACT_FIELDS).get()
    location = order.fulfilment_location
    return {
        "referrer_id": order.referrer_id,
        "selling_location_id": order.selling_location_id,
        "fulfilment_location_id": order.fulfilment_location_id,
        "fulfilment_location__ownership": location.ownership,
        "fulfilment_location__franchise_share_percent": location.franchise_share_percent,
        "member__acquiring_employee_id": order.member.acquiring_employee_id if order.member_id else None,
        "placed_by__employee__id": None,
        "placed_by__employee__home_location_id": None,
    }


def _lending_location(*, cashier_id: int, location_id: int, at) -> int | None:
    loan = active_loan(employee_id=cashier_id, location_id=location_id, at=at)
    return loan.lending_location_id if loan is not None else None


def _read_matrix() -> list[tuple[date, dict[str, list[TouchpointShare]]]]:
    """Every version's shares by touchpoint, owner first; the latest version first."""
    versions: dict[date, dict[str, list[TouchpointShare]]] = {}
    for share in TouchpointShare.objects.select_related("rule__version").order_by("-is_owner", "pk"):
        by_touchpoint = versions.setdefault(share.rule.version.effective_from, {})
        by_touchpoint.setdefault(share.rule.touchpoint, []).append(share)
    return sorted(versions.items(), key=lambda version: version[0], reverse=True)


# Versions are never edited, but one published for today changes today's matrix: kept per
# process, read again when a publication bumps the version row (o2o/core/versioned.py).
_matrix = VersionedSnapshot(
    model=ReferenceVersion,
    pk="attribution_matrix",
    read=_read_matrix,
    recheck_seconds=lambda: settings.O2O_REFERENCE_RECHECK_SECONDS,
)


def _shares_in_force(*, day: date, touchpoint: str) -> list[TouchpointShare]:
    """The shares of the touchpoint in the version in force on `day`, owner first (no query while
    the matrix has not changed)."""
    for effective_from, by_touchpoint in _matrix.get():
        if effective_from <= day:
            return list(by_touchpoint.get(touchpoint, []))
    return []


@dataclass(frozen=True)
class _Slot:
    """One row of a line's split: who receives the share and whose share it was."""

    party: str
    percent: Decimal
    employee_id: int | None
    location_id: int | None
    redirected_from: str = ""


def _split(shares: list[TouchpointShare], recipients: dict[str, tuple[int | None, int | None] | None]) -> list[_Slot]:
    """The rule's shares with missing parties redirected: to the owner, or (owner missing too) to
    the selling store. `recipients[party]` is (employee_id, location_id), or None when missing."""
    owner = next(share.party for share in shares if share.is_owner)
    slots = []
    for share in shares:
        receiver = share.party
        if recipients[receiver] is None:
            receiver = owner if recipients[owner] is not None else Party.SELLING_STORE
        employee_id, location_id = recipients[receiver]
        redirected = share.party if receiver != share.party else ""
        slots.append(_Slot(receiver, share.percent, employee_id, location_id, redirected))
    return slots


def _cumulative(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` x each weight / 100, rounded cumulatively (share_of_units' rule, over percentages):
    the parts add up to round(total x sum(weights) / 100) exactly, whatever the rounding of each.
    A line's net by the shares' percentages; a franchise's percent by the lines' nets."""
    parts, before, running = [], Decimal(0), Decimal(0)
    for weight in weights:
        running += weight
        upto = to_money(total * running / HUNDRED)
        parts.append(upto - before)
        before = upto
    return parts


def attribute_order(*, order: Order) -> list[LineCredit]:
    """Credit the paid order's lines by the matrix version in force on the paid date (local), then
    publish LINES_CREDITED. Runs inside the paying transaction; a second call (a replayed event)
    finds its credits held by the one-credit-per-line constraint, writes nothing and says []."""
    credits = credits_of(order=order, facts=_facts_of(order), shares_for=_shares_or_seed)
    if not insert_all_unless_conflicting(credits):
        return []
    events.publish(events.LINES_CREDITED, order=order, credits=credits)
    return credits


def _shares_or_seed(day: date, touchpoint: str) -> list[TouchpointShare]:
    shares = _shares_in_force(day=day, touchpoint=touchpoint)
    if not shares:
        # No version at all (a database emptied after the migrations, as transactional tests do):
        # the default matrix again. A published version always lists every touchpoint.
        seed_default_matrix()
        shares = _shares_in_force(day=day, touchpoint=touchpoint)
    return shares


def credits_of(
    *,
    order: Order,
    facts: dict,
    shares_for: Callable[[date, str], list[TouchpointShare]],
    lines: list[dict] | None = None,
) -> list[LineCredit]:
    """The credit rows of a paid order (not saved): `facts` as `_facts_of` reads them, `shares_for(day,
    touchpoint)` the shares in force, `lines` (pk, quantity, net_amount) read when not given."""
    paid_at = order.paid_at or timezone.now()
    cashier_id = facts["placed_by__employee__id"]
    at_pos = order.channel == Channel.POS
    # Where the counter sale was made: an in-store sale at the counter of the goods' location, any
    # other counter order at the selling store (the clerk's home store, as orders credits it).
    where_sold = (
        facts["fulfilment_location_id"] if order.fulfilment == Fulfilment.IN_STORE else order.selling_location_id
    )
    lending_location_id = None
    if at_pos and cashier_id is not None and facts["placed_by__employee__home_location_id"] != where_sold:
        # only away from home can the cashier be on a loan (one query, then)
        lending_location_id = _lending_location(cashier_id=cashier_id, location_id=where_sold, at=paid_at)
    touchpoint = touchpoint_for(
        SaleFacts(
            has_referrer=facts["referrer_id"] is not None,
            at_pos=at_pos,
            cashier_on_loan=lending_location_id is not None,
            fulfilled_elsewhere=facts["fulfilment_location_id"] != facts["selling_location_id"],
            fulfilment=order.fulfilment,
        )
    )
    recipients: dict[str, tuple[int | None, int | None] | None] = {
        Party.SHARE_LINK_EMPLOYEE: _employee(facts["referrer_id"]),
        Party.CASHIER: _employee(cashier_id),
        Party.ACQUIRING_EMPLOYEE: _employee(facts["member__acquiring_employee_id"]),
        # A lent employee's sale is the borrowing store's, where it was made.
        Party.SELLING_STORE: (None, where_sold if lending_location_id is not None else facts["selling_location_id"]),
        Party.FULFILLING_STORE: (None, facts["fulfilment_location_id"]),
        Party.ONLINE_OPERATIONS: (None, None),
        Party.LENDING_STORE: (None, lending_location_id) if lending_location_id is not None else None,
    }
    shares = shares_for(timezone.localdate(paid_at), touchpoint)
    version_id = shares[0].rule.version_id
    slots = _split(shares, recipients)
    if lines is None:
        lines = [{"pk": line.pk, "quantity": line.quantity, "net_amount": line.net_amount} for line in lines_of(order)]
    credits = []
    for line in lines:
        amounts = _cumulative(line["net_amount"], [slot.percent for slot in slots])
        for slot, amount in zip(slots, amounts, strict=True):
            credits.append(
                LineCredit(
                    order_id=order.pk,
                    line_id=line["pk"],
                    touchpoint=touchpoint,
                    version_id=version_id,
                    party=slot.party,
                    redirected_from=slot.redirected_from,
                    employee_id=slot.employee_id,
                    location_id=slot.location_id,
                    percent=slot.percent,
                    amount=amount,
                    quantity=line["quantity"],
                    kind=CreditKind.CREDIT,
                    occurred_at=paid_at,
                )
            )
    return credits + _franchise_credits(order, facts, touchpoint, version_id, lines, paid_at)


def _employee(employee_id: int | None) -> tuple[int | None, int | None] | None:
    return (employee_id, None) if employee_id is not None else None


def _franchise_credits(
    order: Order, facts: dict, touchpoint: str, version_id: int, lines: list[dict], paid_at
) -> list[LineCredit]:
    """The franchise store's share of an online order it fulfils (outside the 100% split), the same
    orders cashbook.franchise_days counts. Rounded cumulatively over the order's lines, so the
    order's share is round(net x percent) exactly."""
    percent = facts["fulfilment_location__franchise_share_percent"] or Decimal(0)
    if (
        facts["fulfilment_location__ownership"] != Location.Ownership.FRANCHISE
        or order.channel not in Channel.online()
        or order.fulfilment == Fulfilment.IN_STORE
        or percent <= 0
    ):
        return []
    amounts = _cumulative(percent, [line["net_amount"] for line in lines])
    return [
        LineCredit(
            order_id=order.pk,
            line_id=line["pk"],
            touchpoint=touchpoint,
            version_id=version_id,
            party=Party.FRANCHISE_STORE,
            location_id=facts["fulfilment_location_id"],
            percent=percent,
            amount=amount,
            quantity=line["quantity"],
            kind=CreditKind.CREDIT,
            occurred_at=paid_at,
        )
        for line, amount in zip(lines, amounts, strict=True)
    ]


# --- reversing credits -----------------------------------------------------------------------------


def _reversed_units(credit_ids: list[int]) -> dict[int, int]:
    rows = (
        LineCredit.objects.filter(reverses_id__in=credit_ids)
        .values("reverses_id")
        .annotate(units=Sum("quantity"))
        .values_list("reverses_id", "units")
    )
    return dict(rows)


def reversal_of(credit: LineCredit, *, before: int, units: int, at: datetime) -> LineCredit:
    """The negative credit (not saved) taking back `units` more of `credit` after `before` units
    were taken back already: cumulative rounding (share_of_units), so all of them reverse it exactly."""
    return LineCredit(
        order_id=credit.order_id,
        line_id=credit.line_id,
        touchpoint=credit.touchpoint,
        version_id=credit.version_id,
        party=credit.party,
        redirected_from=credit.redirected_from,
        employee_id=credit.employee_id,
        location_id=credit.location_id,
        percent=credit.percent,
        amount=-share_of_units(credit.amount, credit.quantity, before, units),
        quantity=units,
        kind=CreditKind.REVERSAL,
        reverses_id=credit.pk,
        occurred_at=at,
    )


def _reverse(*, order: Order, units_by_line: dict[int, int] | None) -> list[LineCredit]:
    """Negative credits for `units_by_line` (line id -> units returned now) of every credit of those
    lines, or for everything not yet reversed when None. Cumulative rounding (share_of_units): all
    returns of a line reverse its credits exactly. The caller holds the order's lock."""
    credits = LineCredit.objects.filter(order_id=order.pk, kind=CreditKind.CREDIT).order_by("pk")
    if units_by_line is not None:
        credits = credits.filter(line_id__in=list(units_by_line))
    credits = list(credits)
    done = _reversed_units([credit.pk for credit in credits])
    now = timezone.now()
    reversals = []
    for credit in credits:
        before = done.get(credit.pk, 0)
        units = credit.quantity - before if units_by_line is None else units_by_line[credit.line_id]
        units = min(units, credit.quantity - before)  # never more than what is left of the credit
        if units <= 0:
            continue
        reversals.append(reversal_of(credit, before=before, units=units, at=now))
    if reversals:
        LineCredit.objects.bulk_create(reversals)
        events.publish(events.CREDITS_REVERSED, order=order, credits=reversals)
    return reversals


def reverse_returned_units(*, order: Order, lines: list[dict]) -> list[LineCredit]:
    """Goods came back after hand-over: `lines` as in ORDER_RETURNED (line_id, quantity)."""
    units: dict[int, int] = {}
    for line in lines:
        units[line["line_id"]] = units.get(line["line_id"], 0) + line["quantity"]
    return _reverse(order=order, units_by_line=units)


def reverse_all(*, order: Order) -> list[LineCredit]:
    """The paid order was refunded whole before hand-over (cancelled, or never collected): whatever
    is left of its credits is reversed. After returns that took everything back, nothing is left."""
    return _reverse(order=order, units_by_line=None)
