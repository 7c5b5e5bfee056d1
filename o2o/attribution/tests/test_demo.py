"""The demo chain's paid orders are credited as the handlers would have, and the books add up."""

import pytest

from o2o.attribution import audit
from o2o.attribution.models import LineCredit, MatrixVersion
from o2o.demo.generator import generate_demo
from o2o.orders.models import PAID_STATES, Order

pytestmark = pytest.mark.django_db


def test_the_demo_history_is_credited_and_audits_clean():
    generate_demo(seed=5, stores=3, skus=10, members=30, days=7, orders_per_store_day=6)

    paid = Order.objects.filter(state__in=PAID_STATES)
    assert paid.exists()
    assert set(LineCredit.objects.filter(kind="credit").values_list("order_id", flat=True)) == set(
        paid.values_list("pk", flat=True)
    )
    assert LineCredit.objects.filter(touchpoint="share_link_sale").exists()
    assert LineCredit.objects.filter(touchpoint="store_sale").exists()
    assert MatrixVersion.objects.count() == 2  # the default and HQ's upcoming one
    assert audit.run() == []
