"""Every ticket type and priority gets an SLA policy: first response within 5 minutes by default
(3 when urgent, 15 when low), resolution by how much work the type usually takes."""

from django.db import migrations

FIRST_RESPONSE = {"urgent": (3, 1), "high": (5, 2), "normal": (5, 2), "low": (15, 5)}  # minutes, warn before
RESOLUTION = {  # minutes, by priority urgent / high / normal / low
    "inquiry": (60, 120, 240, 480),
    "complaint": (240, 480, 1440, 2880),
    "after_sale": (480, 1440, 2880, 4320),
    "suggestion": (1440, 2880, 4320, 10080),
    "praise": (1440, 2880, 4320, 10080),
}


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    for kind, minutes in RESOLUTION.items():
        for priority, resolution in zip(("urgent", "high", "normal", "low"), minutes, strict=True):
            first, warn = FIRST_RESPONSE[priority]
            SlaPolicy.objects.get_or_create(
                kind=kind,
                priority=priority,
                defaults={
                    "first_response_minutes": first,
                    "resolution_minutes": resolution,
                    "warn_before_minutes": warn,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
