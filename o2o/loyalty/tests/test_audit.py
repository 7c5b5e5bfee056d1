"""`o2o audit` finds points books that do not add up."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from o2o.loyalty import audit
from o2o.loyalty.models import PointsAccount, PointsEarning, PointsLot
from o2o.orders.services import complete_orders
from o2o.testing.api import as_staff
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def earned(member, store, tea, clerk):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    complete_orders(now=timezone.now() + timedelta(days=30))
    return order


def test_clean_books_have_no_findings(earned):
    assert audit.run() == []


def test_a_balance_changed_outside_the_ledger_is_found(earned, member):
    PointsAccount.objects.update(available=F("available") + 5)

    assert sorted(f.check for f in audit.run()) == ["points_ledger", "points_lots"]
    with pytest.raises(CommandError):
        call_command("audit")


def test_a_lot_that_lost_points_without_a_use_is_found(earned):
    PointsLot.objects.update(remaining=F("remaining") - 1)
    PointsAccount.objects.update(available=F("available") - 1)

    assert sorted(f.check for f in audit.run()) == ["points_ledger", "points_lot_uses"]


def test_points_kept_for_a_returned_unit_are_found(earned):
    PointsEarning.objects.update(reversed_points=12, returned_quantity=1)

    assert [f.check for f in audit.run()] == ["points_earned"]
