"""Database ids are positive 64-bit integers: anything larger is refused at the edge, not by the database."""

MAX_ID = 2**63 - 1


def is_id(value: str | int) -> bool:
    # isdigit() alone takes "²" and other Unicode digits int() refuses
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID
