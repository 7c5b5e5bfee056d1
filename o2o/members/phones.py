import phonenumbers

from o2o.core.errors import DomainError, ErrorCode

DEFAULT_REGION = "CN"


def normalize_phone(raw: str) -> str:
    """E.164 form of a phone number typed with or without +86; DomainError if it is not valid."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise DomainError(ErrorCode.INVALID_PHONE, "not a phone number", phone=raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise DomainError(ErrorCode.INVALID_PHONE, "not a valid phone number", phone=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    return e164[:-8] + "****" + e164[-4:] if len(e164) > 8 else "****"
