"""Database ids are positive 64-bit integers: anything larger is refused at the edge, not by the database."""

MAX_ID = 2**63 - 1


def is_id(value: str | int) -> bool:
    return str(value).isdigit() and 0 < int(value) <= MAX_ID
