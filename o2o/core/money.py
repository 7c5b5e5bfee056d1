from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Two places, half-up, as the tills and the tax office round."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_field_kwargs() -> dict:
    return {"max_digits": 12, "decimal_places": 2}
