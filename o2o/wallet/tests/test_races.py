"""Wallet races on PostgreSQL with real threads: concurrent spends, one payment code scanned twice
at once, a top-up callback delivered several times at once. After each, the ledger agrees with
the balances (`o2o audit`'s wallet checks find nothing). Run with -s to see the figures."""

from decimal import Decimal
from functools import partial

import pytest
from django.db import transaction
from django.db.models import Sum

from o2o.access.actors import actor_for_member, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.payments.gateways import SimulatedGateway
from o2o.payments.services import handle_gateway_callback
from o2o.payments.topups import start_online_top_up
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values
from o2o.wallet import audit
from o2o.wallet import services as wallet
from o2o.wallet.models import EntryKind, TopUpTier, Wallet, WalletEntry

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

D = Decimal


def _funded(principal: str, bonus: str = "0.00"):
    member = MemberFactory()
    if D(bonus):
        TopUpTier.objects.create(pay_amount=D(principal), bonus_amount=D(bonus))
    clerk = EmployeeFactory()
    wallet.top_up_at_counter(
        actor=actor_for_user(clerk.user), location_id=clerk.home_location_id, member_id=member.pk,
        amount=principal, method="cash",
    )  # fmt: skip
    TopUpTier.objects.update(active=False)
    return member


def _spend(member_id: int, amount: str, reference: str):
    with transaction.atomic():
        return wallet.spend(member_id=member_id, amount=D(amount), reference=reference, actor_id=None)


def _ledger_agrees(member) -> None:
    w = Wallet.objects.get(member=member)
    sums = WalletEntry.objects.filter(wallet=w).aggregate(p=Sum("principal_delta"), b=Sum("bonus_delta"))
    assert (w.principal, w.bonus) == (sums["p"], sums["b"])
    assert audit.problems() == []


def test_twenty_spends_of_100_on_500_exactly_five_succeed():
    member = _funded("500.00")

    outcomes = run_together([partial(_spend, member.pk, "100.00", f"payment:{i}") for i in range(20)])

    refused = domain_errors(outcomes)
    assert len(values(outcomes)) == 5
    assert {e.code for e in refused} == {ErrorCode.INSUFFICIENT_BALANCE} and len(refused) == 15
    assert Wallet.objects.get(member=member).total == D("0.00")
    assert WalletEntry.objects.filter(kind=EntryKind.SPEND).count() == 5
    _ledger_agrees(member)
    print(f"\nwallet race: 20 spends of 100 on 500 -> {len(values(outcomes))} ok, {len(refused)} refused")


def test_concurrent_proportional_spends_never_overdraw_either_balance(settings):
    settings.O2O_WALLET_SPEND_ORDER = "proportional"
    member = _funded("500.00", "50.00")

    outcomes = run_together([partial(_spend, member.pk, "70.00", f"payment:{i}") for i in range(12)])

    ok = values(outcomes)
    refused = domain_errors(outcomes)
    assert len(ok) == 7  # 7 x 70 = 490 of 550; the eighth would need 560
    assert {e.code for e in refused} == {ErrorCode.INSUFFICIENT_BALANCE}
    w = Wallet.objects.get(member=member)
    assert w.total == D("60.00") and w.principal >= 0 and w.bonus >= 0
    _ledger_agrees(member)


def test_one_payment_code_scanned_twice_at_once_names_the_member_once():
    for _run in range(10):
        member = MemberFactory()
        code, _row = wallet.issue_payment_code(actor=actor_for_member(member))

        def redeem(code=code):
            with transaction.atomic():
                return wallet.redeem_payment_code(code=code)

        outcomes = run_together([redeem, redeem])

        assert values(outcomes) == [member.pk]
        assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.PAYMENT_CODE_INVALID]


def test_a_top_up_callback_delivered_at_once_three_times_credits_once():
    TopUpTier.objects.create(pay_amount=D("500.00"), bonus_amount=D("50.00"))
    member = MemberFactory()
    top_up, _url = start_online_top_up(actor=actor_for_member(member), amount="500.00")
    gateway = SimulatedGateway()

    def body(event_id: str) -> bytes:
        return gateway.callback_body(event_id=event_id, gateway_ref=top_up.gateway_ref, succeeded=True,
                                     amount=top_up.amount, txn_id="TXN-1")  # fmt: skip

    def deliver(event_id: str):
        payload = body(event_id)
        return handle_gateway_callback(gateway_name=gateway.name, body=payload, signature=gateway.sign(payload))

    outcomes = run_together([partial(deliver, "evt-1"), partial(deliver, "evt-1"), partial(deliver, "evt-2")])

    assert domain_errors(outcomes) == []
    assert sorted(values(outcomes)).count("top_up_credited") == 1
    w = Wallet.objects.get(member=member)
    assert (w.principal, w.bonus) == (D("500.00"), D("50.00"))
    assert WalletEntry.objects.filter(kind=EntryKind.TOP_UP).count() == 1
    _ledger_agrees(member)
