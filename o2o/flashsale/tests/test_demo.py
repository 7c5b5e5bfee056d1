"""The demo's flash sales: one open now that the demo member can buy, one opening tomorrow at 10:00."""

from datetime import date

import pytest
from django.utils import timezone

from o2o.demo.generator import DEMO_MEMBER_PHONE, generate_demo
from o2o.flashsale.models import FlashSale
from o2o.members.models import Member
from o2o.testing.api import as_member

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_flash_sale_the_demo_member_can_buy():
    generate_demo(stores=3, skus=20, members=60, days=3, orders_per_store_day=3, today=date(2025, 3, 10))

    open_sale, upcoming = FlashSale.objects.order_by("starts_at")
    assert open_sale.is_open() and upcoming.starts_at > timezone.now()
    assert timezone.localtime(upcoming.starts_at).strftime("%H:%M:%S") == "10:00:00"
    response = as_member(Member.objects.get(phone=DEMO_MEMBER_PHONE)).post(f"flash-sales/{open_sale.pk}/orders", {})
    assert response.status_code == 201, response.content
    assert response.json()["total"] == str(open_sale.price)
