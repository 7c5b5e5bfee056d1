import hashlib
import hmac
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.core import events
from o2o.core.codes import random_digits
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.messaging import queue_message
from o2o.core.ratelimits import reset, retry_after, spend
from o2o.members.models import NOTE_MAX_LENGTH, TAG_MAX_LENGTH, Member, MemberNote, MemberTag, OneTimeCode, TagSource
from o2o.members.phones import normalize_phone
from o2o.staff.selectors import employee_by_code
from o2o.stores.selectors import get_location, get_location_by_code

ERASED_NOTE = "[deleted]"  # what a note about a deleted account reads
MAX_CODE_ATTEMPTS = 5  # a code dies after this many wrong tries (and a CHECK holds the cap)

# Budgets (settings of the same name override them; see docs/security.md).
RATE_DEFAULTS = {
    # Sending codes costs money and can be abused (SMS pumping): per phone, per client address, and
    # for the whole site per minute.
    "O2O_OTP_PER_PHONE": "5/10minute",
    "O2O_OTP_PER_CLIENT": "20/hour",
    "O2O_OTP_PER_MINUTE": "120/minute",
    # Trying codes: a phone locks after this many misses across its codes (reset by a right code);
    # a client address after this many tries for any phones.
    "O2O_SIGN_IN_MISSES_PER_PHONE": "10/15minute",
    "O2O_SIGN_IN_TRIES_PER_CLIENT": "30/15minute",
}


def rate(name: str) -> str:
    return getattr(settings, name, RATE_DEFAULTS[name])


def throttled(message: str, budget: str, *identifiers: str) -> DomainError:
    """429 with the seconds to wait (the API sends them as Retry-After)."""
    return DomainError(ErrorCode.RATE_LIMITED, message, retry_after=max(1, retry_after(budget, *identifiers)))


def _hash_code(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _typed_code(code: str) -> str:
    """Digits as typed on any keyboard: full-width digits read as ASCII, spaces and dashes ignored."""
    return unicodedata.normalize("NFKC", code).replace(" ", "").replace("-", "")


def _consent_source(channel: str, location_code: str | None) -> str:
    return f"{channel}:{location_code}" if location_code else channel


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
    acquired them: a second scan must not move the credit. Marketing consent is recorded only
    when given, with the time and where it was given.
    """
    e164 = normalize_phone(phone)
    location = get_location(location_id=location_id) if location_id is not None else None
    employee = employee_by_code(employee_code) if employee_code else None
    if employee is not None and location is not None and employee.home_location_id != location.pk:
        employee = None  # a referral code from another store's employee does not credit them here
    now = timezone.now()
    consent = {
        "marketing_consent": True,
        "marketing_consent_at": now,
        "marketing_consent_source": _consent_source(channel, location.code if location else None),
    }
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            phone=e164,
            defaults={
                "name": name.strip(),
                "registration_channel": channel,
                "acquiring_location": location,
                "acquiring_employee": employee,
                **(consent if marketing_consent else {}),
            },
        )
        if member.anonymised_at is not None:  # a deleted account never signs in or joins again
            raise DomainError(ErrorCode.MEMBER_ANONYMISED, "this account was deleted")
        if created:  # welcome gifts (coupons) come with the member or not at all
            events.publish(events.MEMBER_REGISTERED, member=member)
        given = created and marketing_consent
        if marketing_consent and not created:
            # Consent given now by a member who had not given it; an earlier consent keeps its record.
            given = Member.objects.filter(pk=member.pk, marketing_consent=False).update(**consent) == 1
            member.refresh_from_db()
        if given:  # privacy keeps the history of every decision
            source = consent["marketing_consent_source"]
            events.publish(events.MARKETING_CONSENT_CHANGED, member=member, given=True, at=now, source=source)
    return member, created


def send_sign_in_code(*, phone: str, client: str = "", text: str = "") -> None:
    """A fresh one-time code to the phone, within the budgets per phone, per client address and for
    the whole site. The answer is the same whether or not the phone belongs to a member. `text`
    (with %(code)s) says what the code is for when it is not signing in (deleting the account)."""
    e164 = normalize_phone(phone)
    budgets = [
        ("O2O_OTP_PER_CLIENT", ("otp-client", client)),
        ("O2O_OTP_PER_PHONE", ("otp", e164)),
        ("O2O_OTP_PER_MINUTE", ("otp-all",)),
    ]
    for setting, identifiers in budgets:
        if setting == "O2O_OTP_PER_CLIENT" and not client:
            continue
        if not spend(rate(setting), *identifiers):
            raise throttled("too many codes requested; try again later", rate(setting), *identifiers)
    code = random_digits(6)
    with transaction.atomic():
        OneTimeCode.objects.filter(phone=e164, used_at__isnull=True).update(used_at=timezone.now())
        OneTimeCode.objects.create(
            phone=e164,
            code_hash=_hash_code(e164, code),
            expires_at=timezone.now() + timedelta(minutes=settings.O2O_OTP_TTL_MINUTES),
        )
        queue_message(
            channel="sms",
            recipient=e164,
            body=(text or _("Your O2O sign-in code is %(code)s")) % {"code": "{secret}"},
            secret=code,
        )


def _try_code(e164: str, code: str) -> bool:
    """Use the phone's live code if this is it. A try is counted before the comparison (one
    conditional UPDATE), so however many requests race, a code is compared at most
    MAX_CODE_ATTEMPTS times; the right code gives its try back."""
    now = timezone.now()
    live = OneTimeCode.objects.filter(
        phone=e164, used_at__isnull=True, expires_at__gt=now, failed_attempts__lt=MAX_CODE_ATTEMPTS
    )
    pending = live.order_by("-created_at").first()
    if pending is None or not live.filter(pk=pending.pk).update(failed_attempts=F("failed_attempts") + 1):
        return False
    if not hmac.compare_digest(pending.code_hash, _hash_code(e164, _typed_code(code))):
        return False
    # Single use even when two requests carry the same code at once.
    return (
        OneTimeCode.objects.filter(pk=pending.pk, used_at__isnull=True).update(
            used_at=now, failed_attempts=F("failed_attempts") - 1
        )
        == 1
    )


def prove_phone(*, phone: str, code: str, client: str = "") -> str:
    """The phone (E.164) once the code sent to it is proven; the code is used up.

    Every try is committed before the answer, so an error cannot roll the count back: a code
    dies after MAX_CODE_ATTEMPTS misses, and a phone (or a client address) that missed too often
    is refused for a while, even with the right code. Callers must not wrap this in a transaction
    (the durable block below refuses it)."""
    e164 = normalize_phone(phone)
    budgets = [("O2O_SIGN_IN_MISSES_PER_PHONE", ("sign-in", e164))]
    if client:
        budgets.append(("O2O_SIGN_IN_TRIES_PER_CLIENT", ("sign-in-client", client)))
    for setting, identifiers in budgets:
        if not spend(rate(setting), *identifiers):
            raise throttled("too many wrong codes; try again later", rate(setting), *identifiers)
    with transaction.atomic(durable=True):
        proven = _try_code(e164, code)
    if not proven:
        raise DomainError(ErrorCode.INVALID_CODE, "wrong or expired code")
    reset(rate("O2O_SIGN_IN_MISSES_PER_PHONE"), "sign-in", e164)  # the phone's misses count from zero again
    return e164


def verify_sign_in_code(*, phone: str, code: str, client: str = "") -> Member:
    """The member who owns the phone (created on first sign-in), if the code is right."""
    e164 = prove_phone(phone=phone, code=code, client=client)
    member, _created = register_member(phone=e164, channel=Member.RegistrationChannel.H5)
    return member


def join_from_store(
    *,
    phone: str,
    code: str,
    store_code: str,
    employee_code: str | None = None,
    name: str = "",
    marketing_consent: bool = False,
    client: str = "",
) -> Member:
    """A walk-in customer joins from a store's QR (or an employee's link to it) once the phone is
    proven: then, and only then, the member is created and the store and employee credited. A
    phone that is a member already keeps its first credit."""
    location = get_location_by_code(code=store_code)
    e164 = prove_phone(phone=phone, code=code, client=client)
    member, _created = register_member(
        phone=e164,
        name=name,
        marketing_consent=marketing_consent,
        channel=Member.RegistrationChannel.STORE_QR,
        location_id=location.pk,
        employee_code=employee_code,
    )
    return member


# --- tags and notes ----------------------------------------------------------------------------
# Staff act on these through o2o.analytics.customer360, which asks the permission table and
# scopes the member to the actor's stores (this app sits below access and orders); the writes
# below run inside that caller's transaction.


def clean_tag(tag: str) -> str:
    """A tag as stored: spaces trimmed and runs of spaces made one; 1 to TAG_MAX_LENGTH printable
    characters."""
    cleaned = " ".join(str(tag).split())
    if not cleaned or len(cleaned) > TAG_MAX_LENGTH or not cleaned.isprintable():
        raise DomainError(ErrorCode.INVALID, f"a tag has 1 to {TAG_MAX_LENGTH} printable characters", field="tag")
    return cleaned


def _living(member: Member) -> Member:
    if member.anonymised_at is not None:
        raise DomainError(ErrorCode.MEMBER_ANONYMISED, "this account was deleted")
    return member


def tag_member(*, member: Member, tag: str, added_by_id: int) -> tuple[MemberTag, bool]:
    """The member's tag of this name, put on by hand unless they have it already (by hand or by a
    rule, which keeps it): (tag, created). The unique (member, tag) settles two at once."""
    cleaned = clean_tag(tag)
    return MemberTag.objects.get_or_create(
        member=_living(member),
        tag=cleaned,
        defaults={"source": TagSource.MANUAL, "added_by_id": added_by_id},
    )


def untag_member(*, member: Member, tag: str) -> None:
    """Take a tag put on by hand off the member; a rule's tag goes only with its rule (409)."""
    cleaned = " ".join(str(tag).split())
    found = MemberTag.objects.filter(member=member, tag=cleaned).first()
    if found is None:
        raise not_found("tag")
    if found.source == TagSource.RULE:
        raise DomainError(ErrorCode.CONFLICT, "this tag is kept by a tag rule; change the rule instead", tag=cleaned)
    MemberTag.objects.filter(pk=found.pk, source=TagSource.MANUAL).delete()


def clean_note(body: str) -> str:
    cleaned = str(body).strip()
    if not cleaned or len(cleaned) > NOTE_MAX_LENGTH:
        raise DomainError(ErrorCode.INVALID, f"a note has 1 to {NOTE_MAX_LENGTH} characters", field="body")
    return cleaned


def note_member(*, member: Member, body: str, author_id: int) -> MemberNote:
    """Append a staff note (notes are never edited or removed; deleting the account blanks them)."""
    cleaned = clean_note(body)
    return MemberNote.objects.create(member=_living(member), body=cleaned, author_id=author_id)


def sync_rule_tag(*, rule_id: int, tag: str, members: QuerySet[Member] | None) -> tuple[int, int]:
    """Make the rule's tag sit on exactly `members` (None: on nobody, the rule is off), in two
    statements whatever the number of members: one INSERT ... SELECT for those who lack the tag
    (a member who has it by hand keeps it so) and one DELETE for those who left. Returns (added,
    removed)."""
    removed = MemberTag.objects.filter(rule_id=rule_id)
    if members is not None:
        removed = removed.exclude(member_id__in=members.values("pk"))
    removed_count, _by_model = removed.delete()
    if members is None:
        return 0, removed_count
    matching, params = members.values("pk").query.get_compiler(connection=connection).as_sql()
    table = connection.ops.quote_name(MemberTag._meta.db_table)
    member_table = connection.ops.quote_name(Member._meta.db_table)
    sql = (
        f"INSERT INTO {table} (member_id, tag, source, rule_id, added_by_id, added_at) "
        f"SELECT m.id, %s, %s, %s, NULL, %s FROM {member_table} m WHERE m.id IN ({matching}) "
        f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.member_id = m.id AND t.tag = %s) "
        "ON CONFLICT DO NOTHING"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [tag, TagSource.RULE.value, rule_id, now, *params, tag])
        added = cursor.rowcount
    return added, removed_count


def forget_tags_and_notes(*, member_id: int) -> None:
    """For a deleted account: its tags go, its notes stay (who wrote when) with their bodies blanked."""
    MemberTag.objects.filter(member_id=member_id).delete()
    MemberNote.objects.filter(member_id=member_id).update(body=ERASED_NOTE)
