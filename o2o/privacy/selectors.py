"""Reads of a member's own data-rights state, for the API and the "my data" page."""

from typing import Any

from o2o.access.actors import Actor
from o2o.access.permissions import Operation
from o2o.members.models import Member
from o2o.privacy.models import MarketingConsentRecord
from o2o.privacy.registry import Blocker, blockers
from o2o.privacy.services import member_acting


def consent_state(*, actor: Actor) -> dict[str, Any]:
    """The member's answer now (read afresh) and every decision with its time and source."""
    member = Member.objects.get(pk=member_acting(actor, Operation.MANAGE_MY_CONSENT).pk)
    return {
        "marketing_consent": member.marketing_consent,
        "decided_at": member.marketing_consent_at,
        "source": member.marketing_consent_source,
        "history": list(MarketingConsentRecord.objects.filter(member=member).order_by("at", "pk")),
    }


def deletion_blockers(*, actor: Actor) -> list[Blocker]:
    """What stands in the way of deleting the account now (the page shows it before asking)."""
    return blockers(member_acting(actor, Operation.DELETE_MY_ACCOUNT))
