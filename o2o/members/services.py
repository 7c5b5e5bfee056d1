import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.core.codes import random_digits
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.messaging import queue_message
from o2o.core.ratelimits import spend
from o2o.members.models import Member, OneTimeCode
from o2o.members.phones import normalize_phone
from o2o.staff.selectors import employee_by_code
from o2o.stores.selectors import get_location

MAX_CODE_ATTEMPTS = 5
CODES_PER_PHONE = "5/10minute"


def _hash_code(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def register_member(
    *,
    phone: str,
    name: str = "",
    marketing_consent: bool = False,
    channel: str,
    location_id: int | None = None,
    employee_code: str | None = None,
) -> tuple[Member, bool]:
    """The member with this phone, created and credited to the store and employee if new.

    Returns (member, created). An existing member keeps the store and employee who first
    acquired them: a second scan must not move the credit.
    """
    e164 = normalize_phone(phone)
    location = get_location(location_id=location_id) if location_id is not None else None
    employee = employee_by_code(employee_code) if employee_code else None
    if employee is not None and location is not None and employee.home_location_id != location.pk:
        employee = None  # a referral code from another store's employee does not credit them here
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            phone=e164,
            defaults={
                "name": name.strip(),
                "marketing_consent": marketing_consent,
                "registration_channel": channel,
                "acquiring_location": location,
                "acquiring_employee": employee,
            },
        )
    return member, created


@transaction.atomic
def send_sign_in_code(*, phone: str) -> None:
    """A fresh one-time code to the phone; at most a few per phone in ten minutes, however asked."""
    e164 = normalize_phone(phone)
    if not spend(CODES_PER_PHONE, "otp", e164):
        raise DomainError(ErrorCode.RATE_LIMITED, "too many codes requested; try again later")
    code = random_digits(6)
    OneTimeCode.objects.filter(phone=e164, used_at__isnull=True).update(used_at=timezone.now())
    OneTimeCode.objects.create(
        phone=e164,
        code_hash=_hash_code(e164, code),
        expires_at=timezone.now() + timedelta(minutes=settings.O2O_OTP_TTL_MINUTES),
    )
    queue_message(
        channel="sms",
        recipient=e164,
        body=_("Your O2O sign-in code is %(code)s") % {"code": "{secret}"},
        secret=code,
    )


def verify_sign_in_code(*, phone: str, code: str) -> Member:
    """The member who owns the phone (created on first sign-in), if the code is right."""
    e164 = normalize_phone(phone)
    with transaction.atomic():
        pending = (
            OneTimeCode.objects.filter(
                phone=e164, used_at__isnull=True, expires_at__gt=timezone.now(), failed_attempts__lt=MAX_CODE_ATTEMPTS
            )
            .order_by("-created_at")
            .first()
        )
        if pending is None or not hmac.compare_digest(pending.code_hash, _hash_code(e164, code.strip())):
            if pending is not None:
                OneTimeCode.objects.filter(pk=pending.pk, failed_attempts__lt=MAX_CODE_ATTEMPTS).update(
                    failed_attempts=F("failed_attempts") + 1
                )
            ok = False
        else:
            # Single use even when two requests carry the same code at once.
            ok = OneTimeCode.objects.filter(pk=pending.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
    if not ok:
        raise DomainError(ErrorCode.INVALID_CODE, "wrong or expired code")
    member, _created = register_member(phone=e164, channel=Member.RegistrationChannel.H5)
    return member
