from typing import Annotated

from ninja import Header
from pydantic import Field

from o2o.core.ids import MAX_ID

# Anything but a positive 64-bit integer is a 422, never a database overflow.
Id = Annotated[int, Field(gt=0, le=MAX_ID)]

# The `Idempotency-Key` request header of the operations that move money or stock.
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=80)]
