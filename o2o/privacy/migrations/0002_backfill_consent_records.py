"""Members who gave marketing consent before the history existed get its first record: given,
at the time and through the source the member row kept ("before_history" when it kept none)."""

from django.db import migrations


def backfill(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Record = apps.get_model("privacy", "MarketingConsentRecord")
    consenting = Member.objects.filter(marketing_consent=True, consent_records__isnull=True)
    Record.objects.bulk_create(
        Record(
            member_id=member.pk,
            given=True,
            at=member.marketing_consent_at,
            source=member.marketing_consent_source or "before_history",
        )
        for member in consenting.only("pk", "marketing_consent_at", "marketing_consent_source").iterator()
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
