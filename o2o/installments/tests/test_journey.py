"""A store credit plan end to end through the API, with `o2o audit` (every app's checks) after each
step: a counter sale of two tyres with a cash down payment and a fee, a repayment, one tyre back,
early settlement of what is left."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from o2o.access.actors import SYSTEM
from o2o.installments.models import InstallmentDue, InstallmentRepayment
from o2o.inventory.services import receive_stock
from o2o.payments.models import Payment
from o2o.staff.models import Role
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import payment_code_of

pytestmark = pytest.mark.django_db

D = Decimal


def audit_is_clean() -> None:
    call_command("audit")  # raises CommandError on any finding


def test_a_plan_with_a_fee_through_a_return_and_early_settlement(settings, store, clerk, member):
    settings.O2O_STORE_CREDIT_FEE_PERCENT = "3:0,6:1.5,12:3"
    tyre = SKUFactory(price=D("650.00"))
    receive_stock(location_id=store.pk, sku_id=tyre.pk, quantity=10, actor=SYSTEM)
    counter, manager = as_staff(clerk), as_staff(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER))

    # a counter sale of two tyres, 1300.00: 100.00 cash down, 1200.00 over 6 months at 1.5% (18.00)
    sale = counter.post("orders", {"channel": "pos", "fulfilment": "in_store", "location_id": store.pk,
                                   "lines": [{"sku_id": tyre.pk, "quantity": 2}],
                                   "member_phone": member.phone}).json()  # fmt: skip
    plan = counter.post(
        f"installments/orders/{sale['id']}/plan",
        {"periods": 6, "down_payment": "100.00", "down_payment_method": "cash", "member_code": payment_code_of(member)},
        headers={"Idempotency-Key": "plan-1"},
    ).json()
    assert [d["amount"] for d in plan["dues"]] == ["203.00"] * 6
    audit_is_clean()

    # the first due repaid by card
    counter.post(f"installments/plans/{plan['id']}/repayments", {"amount": "203.00", "method": "card"})
    audit_is_clean()

    # one tyre back (650.00): the credit goes back before the cash, 650.00 + its fee 9.75 off the last dues
    returned = manager.post(
        f"orders/{sale['id']}/returns", {"lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}], "reason": "x"}
    )
    assert returned.status_code == 200, returned.content
    assert list(InstallmentDue.objects.order_by("seq").values_list("amount", "state")) == [
        (D("203.00"), "paid"),
        (D("203.00"), "due"),
        (D("152.25"), "due"),
        (D("0.00"), "waived"),
        (D("0.00"), "waived"),
        (D("0.00"), "waived"),
    ]
    assert Payment.objects.get(order_id=sale["id"], method="store_credit").refunded_amount == D("650.00")
    audit_is_clean()

    # early settlement pays exactly what is left: 203.00 + 152.25
    settled = counter.post(f"installments/plans/{plan['id']}/settle", {"method": "cash"}).json()
    assert (settled["repayment"]["amount"], settled["plan"]["state"]) == ("355.25", "settled")
    assert sum(InstallmentRepayment.objects.values_list("amount", flat=True)) == D("558.25")  # 1218.00 − 659.75
    audit_is_clean()
