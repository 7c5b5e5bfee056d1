"""Demo consent history: each member who gave marketing consent when joining gets that first
record (the generator writes members in bulk, past the event that records it in the app)."""

from o2o.demo.generator.base import Run
from o2o.members.models import Member
from o2o.privacy.models import MarketingConsentRecord


def create_consent_history(run: Run) -> int:
    consenting = Member.objects.filter(marketing_consent=True, consent_records__isnull=True).values_list(
        "pk", "marketing_consent_at", "marketing_consent_source"
    )
    records = [
        MarketingConsentRecord(member_id=pk, given=True, at=at, source=source or "before_history")
        for pk, at, source in consenting.iterator()
    ]
    MarketingConsentRecord.objects.bulk_create(records, batch_size=run.batch_size)
    run.say(f"consent: {len(records)} first records")
    return len(records)
