from typing import Annotated

from pydantic import Field

from o2o.core.ids import MAX_ID

# Anything but a positive 64-bit integer is a 422, never a database overflow.
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
