"""Audit checks on attribution, for `o2o audit`: the matrix (every version lists every touchpoint,
each touchpoint's shares add up to 100 with one owner) and business facts from the orders app:
every paid order's lines are credited, each line's split credits add up to its net, and the units
reversed of each credit are the units that came back (all of them for an uncollected order).
Findings, not exceptions.

Sums are rounded to two places in SQL before they are compared and quantized when reported: SQLite
adds decimals as floats (90 for 90.00, 9.990000000000002 for 9.99); PostgreSQL's numeric is exact."""

from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Round

from o2o.attribution.models import CreditKind, LineCredit, MatrixVersion, Party, Touchpoint, TouchpointRule
from o2o.core.findings import Finding
from o2o.core.money import to_money
from o2o.orders.models import PAID_STATES, Order, OrderLine, OrderState

LIMIT = 1000


def matrix_adds_up() -> list[Finding]:
    findings = []
    incomplete = MatrixVersion.objects.annotate(n=Count("rules")).exclude(n=len(Touchpoint.values))
    for version in incomplete[:LIMIT]:
        findings.append(Finding("matrix_touchpoints", f"version {version.pk}", f"{version.n} touchpoints listed"))
    rules = TouchpointRule.objects.annotate(
        total=Round(Coalesce(Sum("shares__percent"), Decimal(0)), 2),
        owners=Count("shares", filter=Q(shares__is_owner=True)),
    ).exclude(total=100, owners=1)
    for rule in rules[:LIMIT]:
        findings.append(
            Finding(
                "matrix_shares",
                f"version {rule.version_id} {rule.touchpoint}",
                f"{to_money(rule.total)}%, {rule.owners} owners",
            )
        )
    return findings


def paid_orders_are_credited() -> list[Finding]:
    uncredited = Order.objects.filter(state__in=PAID_STATES).exclude(
        pk__in=LineCredit.objects.filter(kind=CreditKind.CREDIT).values("order_id")
    )
    return [
        Finding("order_credited", f"order {number}", "paid, no credits")
        for number in uncredited.values_list("number", flat=True)[:LIMIT]
    ]


def lines_split_to_their_net() -> list[Finding]:
    split = (
        LineCredit.objects.filter(line_id=OuterRef("pk"), kind=CreditKind.CREDIT)
        .exclude(party=Party.FRANCHISE_STORE)
        .order_by()
        .values("line_id")
        .annotate(total=Round(Sum("amount"), 2))
        .values("total")
    )
    rows = (
        OrderLine.objects.annotate(credited=Subquery(split[:1]))
        .filter(credited__isnull=False)
        .exclude(credited=F("net_amount"))
        .values_list("order__number", "pk", "net_amount", "credited")[:LIMIT]
    )
    return [
        Finding("line_split", f"order {number} line {pk}", f"net {net}, credited {to_money(credited)}")
        for number, pk, net, credited in rows
    ]


def reversals_match_returns() -> list[Finding]:
    reversed_units = (
        LineCredit.objects.filter(reverses_id=OuterRef("pk"))
        .order_by()
        .values("reverses_id")
        .annotate(u=Sum("quantity"))
    )
    credits = LineCredit.objects.filter(kind=CreditKind.CREDIT).annotate(
        reversed=Coalesce(Subquery(reversed_units.values("u")[:1]), 0),
        returned=F("line__returned_quantity"),
    )
    wrong = credits.filter(
        (Q(order__state=OrderState.UNCOLLECTED) & ~Q(reversed=F("quantity")))
        | (~Q(order__state=OrderState.UNCOLLECTED) & ~Q(reversed=F("line__returned_quantity")))
    )
    return [
        Finding("credit_reversals", f"credit {pk}", f"{reversed} units reversed, {returned} returned of {quantity}")
        for pk, reversed, returned, quantity in wrong.values_list("pk", "reversed", "returned", "quantity")[:LIMIT]
    ]


def run() -> list[Finding]:
    return [*matrix_adds_up(), *paid_orders_are_credited(), *lines_split_to_their_net(), *reversals_match_returns()]
