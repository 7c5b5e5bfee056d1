"""`o2o audit` checks every daily close against the facts of its window."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from o2o.access.actors import actor_for_user
from o2o.cashbook.audit import run
from o2o.cashbook.days import today
from o2o.cashbook.models import DailyClose
from o2o.cashbook.services import close_business_day
from o2o.cashbook.tests.conftest import counter_sale
from o2o.payments.models import Payment

pytestmark = pytest.mark.django_db


def _close(manager, store, business_date=None) -> DailyClose:
    return close_business_day(
        actor=actor_for_user(manager.user),
        location_id=store.pk,
        business_date=business_date or today(),
        counted_cash=Decimal("12.50"),
    )


def test_closes_that_agree_with_their_takings_are_clean(store, clerk, manager, tea):
    counter_sale(clerk, tea, method="cash")
    _close(manager, store)
    counter_sale(clerk, tea, method="cash")  # after the close: tomorrow's

    assert run() == []


def test_money_booked_into_a_closed_window_is_found(store, clerk, manager, tea):
    # given: yesterday closed, then a payment is (wrongly) dated into its window
    yesterday = today() - timedelta(days=1)
    close = _close(manager, store, business_date=yesterday)
    counter_sale(clerk, tea, method="cash")
    Payment.objects.update(succeeded_at=close.takings_from + timedelta(hours=12))

    # when
    findings = run()

    # then
    assert [finding.check for finding in findings] == ["cashbook_takings", "cashbook_expected"]
    assert "expected 0.00, the facts of its window give 12.50" in str(findings[1])
    with pytest.raises(CommandError):
        call_command("audit", stdout=StringIO())


def test_a_changed_snapshot_is_found(store, clerk, manager, tea):
    counter_sale(clerk, tea, method="cash")
    close = _close(manager, store)
    DailyClose.objects.filter(pk=close.pk).update(takings={**close.takings, "lines": []})

    assert [finding.check for finding in run()] == ["cashbook_takings"]
