"""Reads of attribution: the matrix (current and history), an order's credits, credited sales by
employee and store. Other apps (commission, the boss view) use `credits_for_order` and
`credited_sales`; the API and pages use the actor-scoped ones."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may
from o2o.attribution.models import LineCredit, MatrixVersion, Party, TouchpointShare
from o2o.core.errors import not_found
from o2o.core.money import to_money
from o2o.orders.models import Order


@dataclass(frozen=True)
class ShareRow:
    party: str
    percent: Decimal
    is_owner: bool


@dataclass(frozen=True)
class RuleRow:
    touchpoint: str
    lead: str
    shares: list[ShareRow]


@dataclass(frozen=True)
class VersionRow:
    version: MatrixVersion
    rules: list[RuleRow]


def version_in_force(day: date | None = None) -> MatrixVersion | None:
    """The newest version with effective_from <= day (today, local, by default)."""
    day = day or timezone.localdate()
    return MatrixVersion.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def matrix_of(version: MatrixVersion) -> VersionRow:
    """A version with its rules and shares (owner first), in one query."""
    rules: dict[str, RuleRow] = {}
    shares = (
        TouchpointShare.objects.filter(rule__version=version)
        .select_related("rule")
        .order_by("rule__touchpoint", "-is_owner", "-percent", "party")
    )
    for share in shares:
        rule = rules.setdefault(share.rule.touchpoint, RuleRow(share.rule.touchpoint, share.rule.lead, []))
        rule.shares.append(ShareRow(share.party, share.percent, share.is_owner))
    return VersionRow(version, list(rules.values()))


def matrix_for(*, actor: Actor) -> tuple[VersionRow | None, list[MatrixVersion]]:
    """What staff see: the version in force today with its rules, and every version (newest first)."""
    authorize(actor, Operation.VIEW_TOUCHPOINT_MATRIX)
    current = version_in_force()
    versions = list(MatrixVersion.objects.select_related("created_by").order_by("-effective_from"))
    return (matrix_of(current) if current is not None else None), versions


def credits_for_order(order_id: int) -> QuerySet[LineCredit]:
    """Every credit and reversal of an order, in writing order (for commission and statements)."""
    return (
        LineCredit.objects.filter(order_id=order_id)
        .select_related("employee", "location", "line__sku", "version")
        .order_by("pk")
    )


def order_credits_for(*, actor: Actor, order_id: int) -> tuple[Order, list[LineCredit]]:
    """An order's credits as the actor may see them: HQ, a supervisor or a store manager who sees
    the order's selling or fulfilling store, all of them; an employee credited on the order, only
    their own. Anyone else: the same 404 as a missing order."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not actor.is_staff:
        raise not_found("order")
    credits = credits_for_order(order_id)
    sees_store = any(
        may(actor, Operation.VIEW_ORDER_CREDITS, location_id=location_id)
        for location_id in (order.selling_location_id, order.fulfilment_location_id)
    )
    if sees_store:
        return order, list(credits)
    own = [credit for credit in credits if actor.employee is not None and credit.employee_id == actor.employee.pk]
    if not own:
        raise not_found("order")
    return order, own


@dataclass(frozen=True)
class CreditedRow:
    """Credited sales of one employee or one store in a period: credits less reversals."""

    key: int  # employee id or location id
    credited: Decimal
    reversed: Decimal
    lines: int  # order lines credited (credit rows)

    @property
    def net(self) -> Decimal:
        return self.credited + self.reversed


@dataclass(frozen=True)
class CreditedSales:
    by_employee: list[CreditedRow]
    by_location: list[CreditedRow]  # matrix store parties; a franchise's revenue share is apart
    franchise_share: list[CreditedRow]
    online_operations: Decimal


def credited_sales(*, since: datetime, until: datetime, location_ids=None) -> CreditedSales:
    """Credits written in [since, until), grouped by employee and by store (four GROUP BY queries).

    `location_ids` limits the stores and the employees to those whose home is one of them."""
    rows = LineCredit.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    sums = {
        "credited": Sum("amount", filter=Q(kind="credit")),
        "reversed": Sum("amount", filter=Q(kind="reversal")),
        "lines": Count("pk", filter=Q(kind="credit")),
    }
    employees = rows.filter(employee__isnull=False)
    stores = rows.filter(location__isnull=False)
    if location_ids is not None:
        employees = employees.filter(employee__home_location_id__in=list(location_ids))
        stores = stores.filter(location_id__in=list(location_ids))

    def grouped(queryset, key: str) -> list[CreditedRow]:
        return [
            CreditedRow(row[key], to_money(row["credited"] or 0), to_money(row["reversed"] or 0), row["lines"])
            for row in queryset.values(key).annotate(**sums).order_by(key)
        ]

    by_location = stores.exclude(party=Party.FRANCHISE_STORE)
    franchise = stores.filter(party=Party.FRANCHISE_STORE)
    pool = rows.filter(party=Party.ONLINE_OPERATIONS).aggregate(total=Sum("amount"))["total"] or 0
    return CreditedSales(
        by_employee=grouped(employees, "employee_id"),
        by_location=grouped(by_location, "location_id"),
        franchise_share=grouped(franchise, "location_id"),
        online_operations=to_money(pool),
    )
