"""Splitting money to the fen: a cart-level discount across lines, a line's net across returns.

Both keep sums exact: the parts always add up to the whole, so the order's lines add up to its
totals and every return of a line adds up to what was paid for it.
"""

from decimal import ROUND_FLOOR, Decimal

from o2o.core.money import CENT, to_money


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` split in proportion to `weights` (each part at most its weight), to the fen, by
    largest remainder: the parts add up to `amount` exactly (when it is not more than the weights).

    Ties of the remainder go to the earlier weight, so the split is the same every time.
    """
    amount = to_money(amount)
    total = sum(weights, Decimal(0))
    if amount <= 0 or total <= 0:
        return [Decimal("0.00")] * len(weights)
    amount = min(amount, to_money(total))
    exact = [amount * w / total for w in weights]
    parts = [e.quantize(CENT, rounding=ROUND_FLOOR) for e in exact]
    left = int((amount - sum(parts, Decimal(0))) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder:
        if left <= 0:
            break
        if parts[i] + CENT <= weights[i]:
            parts[i] += CENT
            left -= 1
    return parts


def share_of_units(net: Decimal, quantity: int, before: int, units: int) -> Decimal:
    """What `units` more of a line of `quantity` units costing `net` in all are worth, after
    `before` units were taken already: round(net*(before+units)/quantity) - round(net*before/quantity).

    Cumulative rounding: whatever the order of returns, all of them add up to `net` exactly.
    """
    if not 0 <= before <= before + units <= quantity or quantity <= 0:
        raise ValueError("units outside the line")
    return to_money(net * (before + units) / quantity) - to_money(net * before / quantity)
