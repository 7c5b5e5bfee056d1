"""The HQ dashboard's trend: hour by hour against yesterday, day by day against the period before."""

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments.services import take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def hq() -> Client:
    client = Client()
    client.force_login(EmployeeFactory(role=Role.HQ, home_location=None).user)
    client.cookies["django_language"] = "en"
    return client


def _sale(clerk, sku, quantity: int, paid_at: datetime) -> Order:
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=quantity)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at)
    return order


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("10.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=100, actor=SYSTEM)
    return sku


def _local(day_offset: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=20))


def _page(client: Client, period: str) -> tuple[str, dict]:
    html = client.get("/hq/", {"period": period}).content.decode()
    data = re.search(r'<script id="hq-chart-data" type="application/json">(.*?)</script>', html).group(1)
    return html, json.loads(data)["trend"]


def test_today_is_drawn_hour_by_hour_against_the_same_hours_yesterday(hq, clerk, sku):
    _sale(clerk, sku, 2, _local(0, 0))  # ¥20 today 00:20
    _sale(clerk, sku, 1, _local(-1, 0))  # ¥10 yesterday 00:20
    _sale(clerk, sku, 5, _local(-1, 23))  # ¥50 yesterday 23:20

    html, trend = _page(hq, "today")

    assert len(trend["labels"]) == 24 and trend["labels"][0] == "00:00" and trend["labels"][23] == "23:00"
    assert trend["sales"][0] == 20.0 and sum(trend["sales"]) == 20.0
    assert trend["previous"][0] == 10.0 and trend["previous"][23] == 50.0
    assert 'data-sales="20.00" data-previous-sales="60.00"' in html
    assert 'data-change="sales" data-value="-66.7"' in html  # 20 against 60


def test_seven_days_are_drawn_day_by_day_against_the_seven_before(hq, clerk, sku):
    _sale(clerk, sku, 3, _local(-6, 10))  # first day of the period
    _sale(clerk, sku, 1, _local(-7, 10))  # the day before it: the previous period's last day
    _sale(clerk, sku, 4, _local(-13, 10))  # the previous period's first day
    _sale(clerk, sku, 9, _local(-14, 10))  # before both: not shown

    html, trend = _page(hq, "7d")

    first = timezone.localdate() - timedelta(days=6)
    assert trend["labels"][0] == first.strftime("%m-%d") and len(trend["labels"]) == 7
    assert trend["sales"] == [30.0, 0, 0, 0, 0, 0, 0]
    assert trend["previous"] == [40.0, 0, 0, 0, 0, 0, 10.0]
    assert 'data-change="orders" data-value="-50.0"' in html  # 1 order against 2


def test_without_sales_before_there_is_nothing_to_compare(hq, clerk, sku):
    _sale(clerk, sku, 1, _local(0, 1))

    html, _trend = _page(hq, "today")

    assert 'data-change="sales"' in html and "nothing before to compare" in html
