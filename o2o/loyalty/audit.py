"""Audit checks of the points books (part of `o2o audit`). Each returns findings; none means it holds.

- every account's available points equal the sum of its ledger entries, and the remaining points
  of its lots (the cache against two different records);
- every live lot's remaining equals its points minus what spends took from it plus what refunds
  gave back (lot uses), so a spend booked against the wrong lot shows up;
- every EARN entry equals the points its order's confirmed line earnings kept (earned minus the
  reversals of returned units), so points granted twice or not reversed show up;
- nothing negative.
"""

from collections import defaultdict

from django.db.models import F, Sum

from o2o.core.findings import Finding
from o2o.loyalty.models import EntryKind, PointsAccount, PointsEarning, PointsEntry, PointsLot, PointsLotUse


def _sums(rows) -> dict[int, int]:
    return {key: total or 0 for key, total in rows}


def balances() -> list[Finding]:
    ledger = _sums(PointsEntry.objects.values("account_id").annotate(s=Sum("points")).values_list("account_id", "s"))
    lots = _sums(PointsLot.objects.values("account_id").annotate(s=Sum("remaining")).values_list("account_id", "s"))
    findings = []
    for account_id, member_id, available in PointsAccount.objects.values_list("pk", "member_id", "available"):
        subject = f"member {member_id}"
        if available < 0:
            findings.append(Finding("points_negative", subject, f"available={available}"))
        if available != ledger.get(account_id, 0):
            findings.append(
                Finding("points_ledger", subject, f"available={available} ledger={ledger.get(account_id, 0)}")
            )
        if available != lots.get(account_id, 0):
            findings.append(Finding("points_lots", subject, f"available={available} lots={lots.get(account_id, 0)}"))
    return findings


def lots() -> list[Finding]:
    used: dict[int, int] = defaultdict(int)
    for lot_id, points, refunded in PointsLotUse.objects.values_list("lot_id", "points", "refunded"):
        used[lot_id] += points - refunded
    findings = []
    for lot_id, points, remaining in PointsLot.objects.filter(expired_at__isnull=True).values_list(
        "pk", "points", "remaining"
    ):
        if remaining != points - used[lot_id]:
            findings.append(
                Finding(
                    "points_lot_uses", f"lot {lot_id}", f"remaining={remaining} points-used={points - used[lot_id]}"
                )
            )
    return findings


def earnings() -> list[Finding]:
    kept = _sums(
        PointsEarning.objects.filter(state=PointsEarning.State.CONFIRMED)
        .values("order_id")
        .annotate(s=Sum(F("points") - F("reversed_points")))
        .values_list("order_id", "s")
    )
    findings = []
    booked = dict(PointsEntry.objects.filter(kind=EntryKind.EARN).values_list("order_id", "points"))
    for order_id in set(kept) | set(booked):
        if kept.get(order_id, 0) != booked.get(order_id, 0):
            findings.append(
                Finding(
                    "points_earned",
                    f"order {order_id}",
                    f"booked={booked.get(order_id, 0)} confirmed lines={kept.get(order_id, 0)}",
                )
            )
    return findings


def run() -> list[Finding]:
    return [*balances(), *lots(), *earnings()]
