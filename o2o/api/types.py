from decimal import Decimal
from typing import Annotated

from ninja import Header
from pydantic import BeforeValidator, Field, StrictInt

from o2o.core.ids import MAX_ID

# Anything but a positive 64-bit integer is a 422, never a database overflow.
Id = Annotated[int, Field(gt=0, le=MAX_ID)]

# The `Idempotency-Key` request header of the operations that move money or stock.
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=80)]

# Numbers of units are JSON integers: `true`, 1.5, 2.0 and "2" are a 422, never read as a number.
MAX_UNITS = 1_000_000
# A positive number of units; each field sets its own upper bound: `quantity: Quantity = Field(le=...)`.
Quantity = Annotated[StrictInt, Field(ge=1)]
StockDelta = Annotated[StrictInt, Field(ge=-MAX_UNITS, le=MAX_UNITS)]
UnitCount = Annotated[StrictInt, Field(ge=0, le=MAX_UNITS)]

# An id that must be a JSON integer (`true` is not template 1), where `Id`'s lax int would take it.
StrictId = Annotated[StrictInt, Field(gt=0, le=MAX_ID)]


# Amounts of money: a JSON number or a decimal string with at most two decimals; `true`, NaN and
# 3 decimals are a 422.
MAX_MONEY = Decimal("9999999999.99")


def _money_text(value: object) -> object:
    """A JSON number or a decimal string; `true` is not 1."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("an amount is a number with at most two decimals")
    return value


_MONEY = {"le": MAX_MONEY, "max_digits": 12, "decimal_places": 2, "allow_inf_nan": False}
Money = Annotated[Decimal, BeforeValidator(_money_text), Field(gt=0, **_MONEY)]
MoneyOrZero = Annotated[Decimal, BeforeValidator(_money_text), Field(ge=0, **_MONEY)]
