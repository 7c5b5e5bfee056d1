"""The periodic job: reminders queued once per due, overdue marking, and catching up by paying."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import events, periodic
from o2o.installments import audit as installments_audit
from o2o.installments.handlers import reduce_plan_when_store_credit_refunded
from o2o.installments.models import InstallmentDue, InstallmentPlan
from o2o.installments.services import run_daily
from o2o.installments.tasks import installment_dues
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import payment_code_of, place_counter_sale, place_pickup_order
from o2o.testing.outbox import not_order_notifications

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def plan(store, member) -> InstallmentPlan:
    sku = SKUFactory(price=D("1000.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=sku)
    response = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3})
    return InstallmentPlan.objects.get(pk=response.json()["id"])


def first_due(plan) -> InstallmentDue:
    return InstallmentDue.objects.get(plan=plan, seq=1)


def test_the_job_is_registered_to_run_every_hour():
    assert periodic._jobs["installment_dues"].every_seconds == 3600
    assert periodic._jobs["installment_dues"].task is installment_dues


def test_a_reminder_is_queued_once_per_due_however_often_the_job_runs(settings, plan, member):
    # given the first due in 3 days (the reminder window)
    settings.O2O_INSTALLMENT_REMINDER_DAYS = 3
    today = first_due(plan).due_date - timedelta(days=3)

    # when the job runs twice that day, and once more the next day
    first = run_daily(today=today)
    second = run_daily(today=today)
    third = run_daily(today=today + timedelta(days=1))

    # then one message about the first due went out, and its sent marker is set
    assert (first["reminded"], second["reminded"], third["reminded"]) == (1, 0, 0)
    messages = list(not_order_notifications().filter(recipient=member.phone).values_list("body", flat=True))
    assert len(messages) == 1
    assert "333.33" in messages[0] and plan.order.number in messages[0]
    assert first_due(plan).reminded_at is not None
    assert InstallmentDue.objects.filter(plan=plan, reminded_at__isnull=False).count() == 1


def test_no_reminder_before_the_window(settings, plan, member):
    settings.O2O_INSTALLMENT_REMINDER_DAYS = 3

    assert run_daily(today=first_due(plan).due_date - timedelta(days=4))["reminded"] == 0
    assert not_order_notifications().filter(recipient=member.phone).count() == 0


def test_a_due_past_its_date_is_overdue_and_paying_catches_up(plan, clerk):
    # given the day after the first due date, nothing paid
    late = first_due(plan).due_date + timedelta(days=1)

    marked = run_daily(today=late)["overdue"]
    again = run_daily(today=late)["overdue"]

    # then the due and the plan are overdue (once)
    assert (marked, again) == (1, 0)
    assert first_due(plan).state == "overdue"
    plan.refresh_from_db()
    assert plan.state == "overdue"
    assert installments_audit.run() == []

    # when the customer pays the overdue due at the counter
    response = as_staff(clerk).post(f"installments/plans/{plan.pk}/repayments", {"amount": "333.33", "method": "cash"})

    # then the due is paid and the plan is active again
    assert response.json()["plan"]["state"] == "active"
    assert first_due(plan).state == "paid"
    assert installments_audit.run() == []


def test_an_overdue_due_paid_in_part_stays_overdue(plan, clerk):
    run_daily(today=first_due(plan).due_date + timedelta(days=1))

    as_staff(clerk).post(f"installments/plans/{plan.pk}/repayments", {"amount": "100.00", "method": "cash"})

    due = first_due(plan)
    assert (due.state, due.paid_amount) == ("overdue", D("100.00"))
    plan.refresh_from_db()
    assert plan.state == "overdue"


def test_hq_lists_the_overdue_dues_and_a_clerk_may_not(plan, clerk):
    run_daily(today=timezone.localdate() + timedelta(days=40))
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))

    listed = hq.get("installments/overdue").json()["results"]
    refused = as_staff(clerk).get("installments/overdue")

    assert [(d["plan_id"], d["seq"], d["amount"]) for d in listed] == [(plan.pk, 1, "333.33")]
    assert refused.status_code == 403


def test_a_deleted_member_gets_no_reminder_but_the_due_is_marked(settings, plan, member):
    settings.O2O_INSTALLMENT_REMINDER_DAYS = 3
    Member.objects.filter(pk=member.pk).update(anonymised_at=timezone.now())

    reminded = run_daily(today=first_due(plan).due_date)["reminded"]

    assert reminded == 0
    assert not_order_notifications().count() == 0
    assert first_due(plan).reminded_at is not None


def test_the_job_catches_up_on_a_return_the_plan_missed(monkeypatch, store, clerk, member):
    # given a counter sale of two 600.00 tyres on a 3-period plan, and one tyre returned while the
    # plan's reaction was not listening (a deploy in between, say)
    sku = SKUFactory(price=D("600.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=2, member=member)
    plan_id = (
        as_staff(clerk)
        .post(f"installments/orders/{order.pk}/plan", {"periods": 3, "member_code": payment_code_of(member)})
        .json()["id"]
    )
    handlers = [h for h in events._handlers[events.TENDER_REFUNDED] if h is not reduce_plan_when_store_credit_refunded]
    monkeypatch.setitem(events._handlers, events.TENDER_REFUNDED, handlers)
    manager = as_staff(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER))
    line = order.lines.get()
    manager.post(f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "x"})
    assert [f.check for f in installments_audit.run()] == ["installment_plan_against_tender"]

    # when the job runs
    caught_up = run_daily()["caught_up"]

    # then the plan applied the return: the last due goes, the second is halved; the books agree
    assert caught_up == 1
    amounts = list(InstallmentDue.objects.filter(plan_id=plan_id).order_by("seq").values_list("amount", flat=True))
    assert amounts == [D("400.00"), D("200.00"), D("0.00")]
    assert installments_audit.run() == []
