"""A member's data rights (PIPL): download my data, delete my account, give or withdraw consent.

Every entry point takes the acting member (never a member id: nobody reaches another member's
data through here) and asks the permission table first.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.access.services import revoke_member_tokens
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import spend
from o2o.members.models import Member
from o2o.members.services import prove_phone, send_sign_in_code, throttled
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord
from o2o.privacy.registry import Blocker, blockers, collect_sections, erase
from o2o.privacy.sections import placeholder_phone

logger = logging.getLogger("o2o.privacy")

EXPORT_FORMAT = "o2o-member-data/1"
# Downloads per member (settings.O2O_DATA_EXPORTS_PER_MEMBER overrides): an export reads every
# order the member has, so it is not something to call in a loop.
EXPORT_RATE_DEFAULT = "5/hour"
ACCOUNT_DELETED = "account_deleted"  # the source of the withdrawal a deletion records


def _export_rate() -> str:
    return getattr(settings, "O2O_DATA_EXPORTS_PER_MEMBER", EXPORT_RATE_DEFAULT)


def member_acting(actor: Actor, operation: Operation) -> Member:
    authorize(actor, operation)
    member = actor.require_member()
    if member.anonymised_at is not None:
        raise DomainError(ErrorCode.MEMBER_ANONYMISED, "this account was deleted")
    return member


def export_my_data(*, actor: Actor, via: str) -> dict[str, Any]:
    """Everything we keep about the member, as JSON-able data; logged as a data-rights event.

    Spends one unit of the member's download budget first (429 when it is spent)."""
    member = member_acting(actor, Operation.EXPORT_MY_DATA)
    budget = _export_rate()
    if not spend(budget, "privacy-export", str(member.pk)):
        raise throttled("too many downloads of your data; try again later", budget, "privacy-export", str(member.pk))
    data = {"format": EXPORT_FORMAT, "generated_at": timezone.now(), **collect_sections(member)}
    DataRightsEvent.objects.create(member=member, kind=DataRightsEvent.Kind.EXPORT, via=via)
    logger.info("member %s downloaded their data through %s", member.pk, via)
    return data


# --- deleting the account --------------------------------------------------------------------


def _refuse_while_blocked(member: Member) -> None:
    found: list[Blocker] = blockers(member)
    if found:
        raise DomainError(
            ErrorCode.ACCOUNT_HAS_OPEN_BUSINESS,
            " ".join(blocker.message for blocker in found),
            reasons=[{"kind": b.kind, "message": b.message, **b.detail} for b in found],
        )


def send_deletion_code(*, actor: Actor, client: str = "") -> None:
    """A one-time code to the member's phone, to confirm the deletion: a stolen session alone
    cannot delete the account. Refused (409) while something stands in the way, so no text is
    sent for nothing; the budgets of sign-in codes apply."""
    member = member_acting(actor, Operation.DELETE_MY_ACCOUNT)
    _refuse_while_blocked(member)
    text = _("Your code to DELETE your O2O account is %(code)s. If you did not ask for this, ignore this message.")
    send_sign_in_code(phone=member.phone, client=client, text=text)


@dataclass(frozen=True)
class Deletion:
    member_id: int
    anonymised_at: datetime
    already: bool  # deleted before this request (a repeated request changes nothing)


def delete_my_account(*, actor: Actor, code: str, via: str, client: str = "") -> Deletion:
    """Anonymise the account once the code sent to the phone is proven.

    Refused (409) while the member has unfinished business, checked before the code is spent
    and again under the member's row lock. The books stay: orders, payments and ledgers keep
    their member, whose phone becomes a placeholder and whose name is blanked. Idempotent."""
    authorize(actor, Operation.DELETE_MY_ACCOUNT)
    member = actor.require_member()
    if member.anonymised_at is not None:
        return Deletion(member.pk, member.anonymised_at, already=True)
    _refuse_while_blocked(member)
    prove_phone(phone=member.phone, code=code, client=client)  # counts the try, committed, outside ours
    return _anonymise(member_id=member.pk, via=via)


def _anonymise(*, member_id: int, via: str) -> Deletion:
    with transaction.atomic(durable=True):
        # FOR UPDATE waits for any order being placed for the member (its FK check holds a key
        # share lock on this row) and makes a racing second deletion wait for the first.
        member = Member.objects.select_for_update().get(pk=member_id)
        if member.anonymised_at is not None:
            return Deletion(member.pk, member.anonymised_at, already=True)
        _refuse_while_blocked(member)
        now = timezone.now()
        if member.marketing_consent:
            _record_consent(member, given=False, at=now, source=ACCOUNT_DELETED)
        erase(member)  # the other apps' personal fields, while the member still has its phone
        Member.objects.filter(pk=member.pk, anonymised_at__isnull=True).update(
            phone=placeholder_phone(member.pk),
            name="",
            marketing_consent=False,
            marketing_consent_at=now if member.marketing_consent else member.marketing_consent_at,
            marketing_consent_source=ACCOUNT_DELETED if member.marketing_consent else member.marketing_consent_source,
            anonymised_at=now,
        )
        revoke_member_tokens(member_id=member.pk)
        DataRightsEvent.objects.create(member=member, kind=DataRightsEvent.Kind.DELETION, via=via)
    logger.info("member %s deleted their account through %s", member_id, via)
    return Deletion(member_id, now, already=False)


# --- marketing consent -----------------------------------------------------------------------


def _record_consent(member: Member, *, given: bool, at: datetime, source: str) -> MarketingConsentRecord:
    return MarketingConsentRecord.objects.create(member=member, given=given, at=at, source=source)


def record_consent_decision(*, member: Member, given: bool, at: datetime, source: str) -> None:
    """Append a decision another app already applied to the member (joining with consent)."""
    _record_consent(member, given=given, at=at, source=source)


def set_marketing_consent(*, actor: Actor, given: bool, source: str) -> tuple[Member, bool]:
    """Give or withdraw consent. A change appends a record and updates the member's current
    answer (one conditional UPDATE: racing requests record one change); asking for the answer
    the member already has changes nothing. Returns (member, changed)."""
    member = member_acting(actor, Operation.MANAGE_MY_CONSENT)
    with transaction.atomic(durable=True):
        now = timezone.now()
        changed = (
            Member.objects.filter(pk=member.pk, marketing_consent=not given, anonymised_at__isnull=True).update(
                marketing_consent=given, marketing_consent_at=now, marketing_consent_source=source
            )
            == 1
        )
        if changed:
            _record_consent(member, given=given, at=now, source=source)
    member.refresh_from_db()
    return member, changed
