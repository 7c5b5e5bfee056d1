"""The demo's wallets: tiers on offer, the demo member with 500 + 50, and books the audit accepts."""

from datetime import date
from decimal import Decimal

import pytest

from o2o.demo.generator import DEMO_MEMBER_PHONE, generate_demo
from o2o.members.models import Member
from o2o.wallet import audit
from o2o.wallet.models import TopUp, TopUpTier, Wallet
from o2o.wallet.selectors import balance

pytestmark = pytest.mark.django_db


def test_the_demo_has_tiers_and_wallets_that_agree_with_their_ledger():
    generate_demo(stores=3, skus=20, members=60, days=3, orders_per_store_day=3, today=date(2025, 3, 10))

    demo = Member.objects.get(phone=DEMO_MEMBER_PHONE)
    assert TopUpTier.objects.filter(active=True).count() == 4
    assert balance(member_id=demo.pk).principal == Decimal("500.00")
    assert balance(member_id=demo.pk).bonus == Decimal("50.00")
    assert Wallet.objects.count() >= 2
    assert TopUp.objects.filter(state="succeeded").count() == Wallet.objects.count()
    assert audit.problems() == []
