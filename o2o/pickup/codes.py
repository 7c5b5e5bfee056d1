"""What the customer shows: 12 random digits (10^12 codes) and a signed QR payload."""

from django.core import signing

from o2o.core.codes import random_digits

CODE_LENGTH = 12
_SALT = "o2o.pickup.voucher"


def new_code() -> str:
    return random_digits(CODE_LENGTH)


def qr_payload(code: str) -> str:
    return signing.dumps(code, salt=_SALT, compress=False)


def code_from_qr(payload: str) -> str | None:
    """The code inside a genuine QR payload, or None if the payload was not signed by us."""
    try:
        return signing.loads(payload, salt=_SALT)
    except signing.BadSignature:
        return None


def normalize_typed_code(raw: str) -> str | None:
    digits = "".join(ch for ch in raw if not ch.isspace() and ch != "-")
    return digits if len(digits) == CODE_LENGTH and digits.isdigit() else None
