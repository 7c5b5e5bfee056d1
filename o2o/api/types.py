from typing import Annotated

from ninja import Header
from pydantic import Field, StrictInt

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
