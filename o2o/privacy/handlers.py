"""Privacy's reactions to other apps' events (run inside the publisher's transaction)."""

from datetime import datetime

from o2o.core import events
from o2o.members.models import Member
from o2o.privacy import services


@events.subscribe(events.MARKETING_CONSENT_CHANGED)
def record_consent(*, member: Member, given: bool, at: datetime, source: str) -> None:
    services.record_consent_decision(member=member, given=given, at=at, source=source)
