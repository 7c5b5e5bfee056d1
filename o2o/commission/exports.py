"""A statement as CSV (the API's export and the pages' download share it)."""

import csv
import io

from o2o.commission.selectors import Statement

HEADER = [
    "order", "paid_at", "sku", "touchpoint", "party", "split_percent", "plan", "base_percent", "tier_from",
    "tier_bonus_percent", "rate", "base", "accrued", "clipped", "reversed", "settled", "frozen", "state",
    "frozen_until",
]  # fmt: skip


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for line in statement.lines:
        writer.writerow([
            line.order_number, line.paid_at.isoformat() if line.paid_at else "", line.sku_code, line.touchpoint,
            line.party, line.split_percent, line.plan_name, line.base_percent,
            "" if line.tier_from is None else line.tier_from, line.tier_bonus_percent, line.rate, line.base,
            line.accrued, "yes" if line.clipped else "", line.reversed, line.settled, line.frozen, line.state,
            line.frozen_until.isoformat() if line.frozen_until else "",
        ])  # fmt: skip
    totals = statement.totals
    writer.writerow([])
    writer.writerow(["accrued", "reversed", "clawed_back", "settled", "frozen"])
    writer.writerow([totals.accrued, totals.reversed, totals.clawed_back, totals.settled, totals.frozen])
    return out.getvalue()
