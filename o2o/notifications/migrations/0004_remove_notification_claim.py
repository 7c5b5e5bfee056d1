"""A notification's insert says itself whether it went in (INSERT … ON CONFLICT DO NOTHING
RETURNING): the claim token that told the winning writer apart is no longer read."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0003_incident_update'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='notification',
            name='claim',
        ),
    ]
