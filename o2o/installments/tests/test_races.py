"""Repayments raced on PostgreSQL: two counters take the last due at once -> one repayment, the
other refused (409); the plan is settled once, and the books agree. Run with -s for the figures."""

from collections import Counter
from decimal import Decimal
from functools import partial

import pytest

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import DomainError
from o2o.installments import audit as installments_audit
from o2o.installments.models import InstallmentPlan, InstallmentRepayment
from o2o.installments.services import PlanRequest, repay, set_up_plan, settle
from o2o.inventory.services import receive_stock
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import place_pickup_order
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RUNS = 10
D = Decimal


@pytest.fixture
def tyre(store):
    sku = SKUFactory(price=D("1000.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=RUNS + 5, actor=SYSTEM)
    return sku


def _plan_with_one_due_left(store, member, tyre) -> InstallmentPlan:
    order = place_pickup_order(member=member, store=store, sku=tyre)
    plan = set_up_plan(actor=actor_for_member(member), order=order, request=PlanRequest(periods=3))
    clerk = actor_for_user(EmployeeFactory(home_location=store).user)
    repay(actor=clerk, plan=plan, amount=D("666.66"), method="cash")
    return plan


def test_two_repayments_of_the_last_due_at_once_take_the_money_once(store, member, tyre):
    clerks = [actor_for_user(EmployeeFactory(home_location=store).user) for _ in range(2)]
    manager = actor_for_user(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER).user)
    tally = Counter()
    for run in range(RUNS):
        plan = _plan_with_one_due_left(store, member, tyre)
        second = clerks[1] if run % 2 else manager
        outcomes = run_together(
            [
                partial(repay, actor=clerks[0], plan=plan, amount=D("333.34"), method="cash"),
                partial(settle, actor=second, plan=plan, method="card"),
            ]
        )
        refused = domain_errors(outcomes)
        taken = values(outcomes)
        tally["taken"] += len(taken)
        tally.update(str(error.code) for error in refused)
        assert len(taken) == 1 and len(refused) == 1
        assert sum(InstallmentRepayment.objects.filter(plan=plan).values_list("amount", flat=True)) == D("1000.00")
        plan.refresh_from_db()
        assert plan.state == "settled"
    print(f"\ninstallment races: last due taken twice at once, {RUNS} runs: {dict(tally)}")
    assert installments_audit.run() == []


def test_one_repayment_sent_twice_at_once_with_one_key_moves_money_once(store, member, tyre):
    plan = _plan_with_one_due_left(store, member, tyre)
    clerk = actor_for_user(EmployeeFactory(home_location=store).user)

    def send():
        return repay(actor=clerk, plan=plan, amount=D("333.34"), method="cash", idempotency_key="counter-7").pk

    outcomes = run_together([send, send])

    assert [o.error for o in outcomes] == [None, None]
    assert len(set(values(outcomes))) == 1
    assert InstallmentRepayment.objects.filter(plan=plan).count() == 2  # the 666.66 before, and this one
    assert installments_audit.run() == []


def test_refused_racers_raise_domain_errors_only(store, member, tyre):
    plan = _plan_with_one_due_left(store, member, tyre)
    clerk = actor_for_user(EmployeeFactory(home_location=store).user)

    outcomes = run_together([lambda: settle(actor=clerk, plan=plan, method="cash") for _ in range(4)])

    assert len(values(outcomes)) == 1
    assert all(isinstance(e, DomainError) for e in domain_errors(outcomes))
    assert len(domain_errors(outcomes)) == 3
