"""The demo's rewards: a running referral programme, a red packet cut exactly, a check-in QR."""

from datetime import date

import pytest

from o2o.demo.generator import generate_demo
from o2o.rewards.models import CheckInPoint, RedPacket
from o2o.rewards.selectors import red_packets_against_shares
from o2o.rewards.services import running_programme

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_programme_a_red_packet_and_a_check_in_point():
    generate_demo(stores=2, skus=10, members=20, days=2, orders_per_store_day=2, today=date(2025, 3, 10))
    assert running_programme() is not None
    assert RedPacket.objects.count() == 1 and CheckInPoint.objects.count() == 1
    assert red_packets_against_shares() == []
