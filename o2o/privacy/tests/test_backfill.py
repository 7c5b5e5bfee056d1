"""The data migration gives members who consented before the history existed their first record."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("privacy", "0001_initial")]
AFTER = [("privacy", "0002_backfill_consent_records")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_backfill_records_the_consent_members_had_given():
    apps = _migrate(BEFORE)
    Member = apps.get_model("members", "Member")  # noqa: N806 - a historical model
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    joined = Member.objects.create(
        phone="+8613600000001", registration_channel="store_qr", marketing_consent=True,
        marketing_consent_at=at, marketing_consent_source="store_qr:SH001",
    )  # fmt: skip
    unknown = Member.objects.create(
        phone="+8613600000002", registration_channel="pos", marketing_consent=True, marketing_consent_at=at
    )
    Member.objects.create(phone="+8613600000003", registration_channel="h5")

    apps = _migrate(AFTER)

    Record = apps.get_model("privacy", "MarketingConsentRecord")  # noqa: N806
    assert sorted(Record.objects.values_list("member_id", "given", "at", "source")) == [
        (joined.pk, True, at, "store_qr:SH001"),
        (unknown.pk, True, at, "before_history"),
    ]
