"""Codes people read or type: random, from the OS's cryptographic source."""

import secrets

DIGITS = "0123456789"
# No 0/O, 1/I/L: order numbers are read aloud at the counter.
READABLE = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_digits(length: int) -> str:
    return "".join(secrets.choice(DIGITS) for _ in range(length))


def random_readable(length: int) -> str:
    return "".join(secrets.choice(READABLE) for _ in range(length))


def new_token() -> str:
    return secrets.token_urlsafe(32)
