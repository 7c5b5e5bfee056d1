"""What the customer shows: 12 random digits (10^12 codes) and a signed QR payload."""

import re
import unicodedata

from django.core import signing

from o2o.core.codes import random_digits
from o2o.pickup.models import DIGITS_PER_LETTER

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


# Separators people type between the groups: spaces (also the ideographic one, once NFKC has
# made it a plain space) and any dash (hyphen, minus, en/em dash, the full-width one).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc]")
_CODE = re.compile(rf"[0-9]{{{CODE_LENGTH}}}")


def normalize_typed_code(raw: str) -> str | None:
    """The 12 ASCII digits of a typed code, or None. A Chinese input method types full-width
    digits ("１２３４"): NFKC makes them the same digits as the keypad's."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    return digits if _CODE.fullmatch(digits) else None


_SHORT_NUMBER = re.compile(r"([A-Z])([0-9]{3})")


def parse_short_number(raw: str) -> int | None:
    """The number behind a typed short pickup number ("A027", "a027", "Ａ０２７"), or None."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()
    match = _SHORT_NUMBER.fullmatch(text)
    if match is None or match[2] == "000":
        return None
    return (ord(match[1]) - ord("A")) * DIGITS_PER_LETTER + int(match[2])
