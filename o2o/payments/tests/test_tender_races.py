"""Split tenders raced on PostgreSQL (real threads): one member code scanned at two counters at
once charges the wallet once; two split payments of one order at once never take more than its
total. Run with -s to see the figures."""

from collections import Counter
from decimal import Decimal
from functools import partial

import pytest

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import DomainError
from o2o.inventory.services import receive_stock
from o2o.payments import audit as payments_audit
from o2o.payments.models import Payment
from o2o.payments.services import TenderRequest, pay_order
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale, place_pickup_order
from o2o.testing.races import requires_postgres, run_together
from o2o.wallet.models import WalletEntry
from o2o.wallet.selectors import balance
from o2o.wallet.services import issue_payment_code, top_up_at_counter

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RUNS = 20


def _outcome(outcome) -> str:
    if outcome.error is None:
        return "ok"
    if isinstance(outcome.error, DomainError):
        return str(outcome.error.code)
    raise outcome.error


def test_one_member_code_scanned_twice_at_once_charges_once(store, other_store):
    sku = SKUFactory(price=Decimal("10.00"))
    tally = Counter()
    for store_ in (store, other_store):
        receive_stock(actor=SYSTEM, location_id=store_.pk, sku_id=sku.pk, quantity=2 * RUNS)
    for _run in range(RUNS):
        # each run its own clerks: a clerk refused ten codes a minute is rate-limited (429)
        clerks = [EmployeeFactory(home_location=store), EmployeeFactory(home_location=other_store)]
        # given: a member with 100.00 and one payment code, and a sale waiting at each of two counters
        member = MemberFactory()
        top_up_at_counter(
            actor=actor_for_user(clerks[0].user),
            location_id=store.pk,
            amount="100.00",
            method="cash",
            member_id=member.pk,
        )
        code, _row = issue_payment_code(actor=actor_for_member(member))
        sales = [place_counter_sale(clerk=clerk, sku=sku) for clerk in clerks]

        # when: both clerks scan the same code at the same moment
        outcomes = run_together(
            [
                partial(
                    pay_order,
                    actor=actor_for_user(clerk.user),
                    order=sale,
                    idempotency_key=None,
                    tenders=[TenderRequest("wallet", member_code=code)],
                )
                for clerk, sale in zip(clerks, sales, strict=True)
            ]
        )

        # then: one sale is paid from the wallet, once; the other is refused and took nothing
        results = sorted(_outcome(o) for o in outcomes)
        tally.update(results)
        assert results == ["ok", "payment_code_invalid"]
        assert balance(member_id=member.pk).total == Decimal("90.00")
        assert WalletEntry.objects.filter(wallet__member=member, kind="spend").count() == 1
        assert Payment.objects.filter(payer=member).count() == 1
    assert payments_audit.run() == []
    print(f"\ntender races: one code at two counters: {RUNS} runs, outcomes {dict(tally)}")


def test_two_split_payments_of_one_order_at_once_never_take_more_than_its_total(store):
    sku = SKUFactory(price=Decimal("100.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=2 * RUNS)
    cashier = actor_for_user(EmployeeFactory(home_location=store).user)
    tally = Counter()
    for run in range(RUNS):
        # given: an order of 100.00 and a member with 200.00 (two taps of "pay 60 from my wallet")
        member = MemberFactory()
        top_up_at_counter(actor=cashier, location_id=store.pk, amount="200.00", method="cash", member_id=member.pk)
        order = place_pickup_order(member=member, store=store, sku=sku)
        me = actor_for_member(member)

        outcomes = run_together(
            [
                partial(
                    pay_order,
                    actor=me,
                    order=order,
                    idempotency_key=f"tap-{run}-{tap}",
                    tenders=[TenderRequest("wallet", amount=Decimal("60.00"))],
                )
                for tap in range(2)
            ]
        )

        # then: one took 60.00, the other was refused as over the payable; nothing else moved
        results = sorted(_outcome(o) for o in outcomes)
        tally.update(results)
        assert results == ["ok", "tenders_exceed_payable"]
        assert balance(member_id=member.pk).total == Decimal("140.00")
        assert list(Payment.objects.filter(order=order).values_list("amount", flat=True)) == [Decimal("60.00")]
    assert payments_audit.run() == []
    print(f"\ntender races: two taps on one order: {RUNS} runs, outcomes {dict(tally)}")
