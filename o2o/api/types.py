from typing import Annotated

from pydantic import Field

# Database ids are positive 64-bit integers; anything else is a 422, never a database overflow.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
