from django.db import migrations, models
from django.db.models import F


def date_earlier_consent(apps, schema_editor):
    """Consent given before it was recorded with a time dates from the member's sign-up."""
    Member = apps.get_model("members", "Member")
    Member.objects.filter(marketing_consent=True, marketing_consent_at__isnull=True).update(
        marketing_consent_at=F("created_at"), marketing_consent_source="registration"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="marketing_consent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="consent given at"),
        ),
        migrations.AddField(
            model_name="member",
            name="marketing_consent_source",
            field=models.CharField(blank=True, max_length=40, verbose_name="consent given through"),
        ),
        migrations.RunPython(date_earlier_consent, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("marketing_consent", False), ("marketing_consent_at__isnull", False), _connector="OR"
                ),
                name="member_consent_has_time",
            ),
        ),
    ]
