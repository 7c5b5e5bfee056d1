"""Complaints through the API: the promise to the customer, remedies through coupons and payments,
who may do them, retries under one Idempotency-Key, and failures that write nothing."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.coupons.models import Coupon
from o2o.coupons.services import create_template
from o2o.inventory.services import receive_stock
from o2o.orders.models import OrderLine
from o2o.payments.models import Payment, Refund
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.service import complaints
from o2o.service.models import Remedy, Ticket, TicketEvent, TicketMessage
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def make_ticket(*, kind="complaint", member=None, order=None, escalated_to=None, state=None) -> Ticket:
    """A ticket as the tickets' services leave it (new, or escalated to a store)."""
    now = timezone.now()
    return Ticket.objects.create(
        number=f"T{next(_numbers):08d}",
        channel="chat",
        kind=kind,
        state=state or ("escalated" if escalated_to else "new"),
        subject="破损",
        member=member or (order.member if order else MemberFactory()),
        order=order,
        location=order.fulfilment_location if order else None,
        escalated_to=escalated_to,
        escalation_reason="门店处理" if escalated_to else "",
        first_response_due_at=now + timedelta(minutes=5),
        resolution_due_at=now + timedelta(days=1),
    )


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT)


def handed_over_order(store, *, quantity=2, price=Decimal("12.34")):
    sku = SKUFactory(price=price)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    order = paid_pickup_order(member=MemberFactory(), store=store, sku=sku, quantity=quantity)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=PickupVoucher.objects.get(order=order).code)
    order.refresh_from_db()
    return order


def _promise(client, ticket, *, days=2, solution="换新并补偿"):
    when = (timezone.now() + timedelta(days=days)).isoformat()
    return client.post(f"service/tickets/{ticket.pk}/promise", {"solution": solution, "promised_by": when})


def _remedy(client, ticket, body, key="k-1"):
    return client.post(f"service/tickets/{ticket.pk}/remedies", body, headers={"Idempotency-Key": key})


def _nothing_written(ticket):
    return (
        Remedy.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        TicketMessage.objects.filter(ticket=ticket).count(),
    ) == (0, 0, 0)


# --- the promise ---------------------------------------------------------------------------------


def test_an_agent_promises_a_solution_and_date_and_the_customer_is_told(agent):
    ticket = make_ticket()

    response = _promise(as_staff(agent), ticket)

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.promised_solution == "换新并补偿"
    assert response.json()["promised_solution"] == "换新并补偿"
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor_id, event.detail["previous"]) == ("promised", agent.pk, None)
    message = TicketMessage.objects.get(ticket=ticket)
    assert (message.author_kind, message.internal) == ("system", False)
    assert "换新并补偿" in message.body


def test_changing_the_promise_keeps_the_old_one_in_the_history(agent):
    ticket = make_ticket()
    client = as_staff(agent)
    _promise(client, ticket, days=1, solution="退款")

    response = _promise(client, ticket, days=3, solution="换新")

    assert response.status_code == 200
    events = list(TicketEvent.objects.filter(ticket=ticket, kind="promised").order_by("pk"))
    assert [e.detail["solution"] for e in events] == ["退款", "换新"]
    assert events[1].detail["previous"]["solution"] == "退款"
    assert events[1].detail["previous"]["promised_by"] == events[0].detail["promised_by"]
    ticket.refresh_from_db()
    assert ticket.promised_solution == "换新"


@pytest.mark.parametrize(
    "body",
    [
        {"solution": "换新", "promised_by": "2020-01-01T10:00:00+08:00"},  # in the past
        {"solution": "换新", "promised_by": "2999-01-01T10:00:00"},  # no time zone
        {"solution": "", "promised_by": "2999-01-01T10:00:00+08:00"},
        {"solution": "   ", "promised_by": "2999-01-01T10:00:00+08:00"},
        {"solution": "x" * 501, "promised_by": "2999-01-01T10:00:00+08:00"},
        {"solution": "换新", "promised_by": "tomorrow"},
        {"solution": 5, "promised_by": "2999-01-01T10:00:00+08:00"},
        {"solution": "换新"},
    ],
)
def test_a_bad_promise_is_a_422_and_writes_nothing(agent, body):
    ticket = make_ticket()

    response = as_staff(agent).post(f"service/tickets/{ticket.pk}/promise", body)

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    ticket.refresh_from_db()
    assert (ticket.promised_solution, ticket.promised_by) == ("", None)
    assert _nothing_written(ticket)


def test_a_closed_ticket_takes_no_promise(agent):
    now = timezone.now()
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(state="closed", resolved_at=now, closed_at=now, close_reason="confirmed")

    response = _promise(as_staff(agent), ticket)

    assert response.status_code == 409
    assert problem_code(response) == "illegal_transition"
    assert _nothing_written(ticket)


def test_the_store_a_ticket_is_escalated_to_may_promise_other_stores_and_customers_may_not(store, other_store):
    ticket = make_ticket(escalated_to=store)

    own_clerk = _promise(as_staff(EmployeeFactory(role=Role.CLERK, home_location=store)), ticket)
    other_manager = _promise(as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store)), ticket)
    customer = _promise(as_member(ticket.member), ticket)
    anonymous = _promise(ApiClient(), ticket)
    marketer = _promise(as_staff(EmployeeFactory(role=Role.MARKETER)), ticket)

    assert own_clerk.status_code == 200
    assert (other_manager.status_code, customer.status_code, anonymous.status_code) == (404, 404, 401)
    assert marketer.status_code in (403, 404)
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_a_store_sees_no_ticket_that_is_not_escalated_to_it(store):
    ticket = make_ticket(order=None)  # new, with customer service

    response = _promise(as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)), ticket)

    assert response.status_code == 404
    assert _nothing_written(ticket)


def test_an_unknown_ticket_is_a_404(agent):
    response = as_staff(agent).post(
        "service/tickets/999999/promise", {"solution": "换新", "promised_by": "2999-01-01T10:00:00+08:00"}
    )

    assert response.status_code == 404


# --- remedies: coupon ----------------------------------------------------------------------------


def _template():
    return create_template(
        actor=SYSTEM,
        name="致歉券",
        kind="threshold",
        amount=Decimal("20.00"),
        min_spend=Decimal("50.00"),
        valid_days=30,
        per_member_limit=5,
    )


def test_an_apology_coupon_is_granted_once_per_idempotency_key(agent):
    ticket = make_ticket()
    template = _template()
    client = as_staff(agent)

    first = _remedy(client, ticket, {"kind": "coupon", "template_id": template.pk}, key="apology-1")
    again = _remedy(client, ticket, {"kind": "coupon", "template_id": template.pk}, key="apology-1")

    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert first.json()["id"] == again.json()["id"]
    coupon = Coupon.objects.get(member=ticket.member)
    assert first.json()["reference"] == f"coupon:{coupon.pk}"
    assert coupon.source == "remedy"
    assert Remedy.objects.filter(ticket=ticket).count() == 1
    event = TicketEvent.objects.get(ticket=ticket, kind="remedied")
    assert event.detail["remedy_id"] == first.json()["id"]
    assert TicketMessage.objects.filter(ticket=ticket, author_kind="system").count() == 1


def test_a_second_key_is_a_second_remedy_and_a_reused_key_for_another_kind_is_a_409(agent, store):
    ticket = make_ticket(order=handed_over_order(store))
    template = _template()
    client = as_staff(agent)
    _remedy(client, ticket, {"kind": "coupon", "template_id": template.pk}, key="a")

    second = _remedy(client, ticket, {"kind": "coupon", "template_id": template.pk}, key="b")
    conflict = _remedy(client, ticket, {"kind": "redelivery", "note": "补发"}, key="a")

    assert second.status_code == 201, second.content
    assert Coupon.objects.filter(member=ticket.member).count() == 2
    assert conflict.status_code == 409
    assert problem_code(conflict) == "idempotency_conflict"
    assert Remedy.objects.filter(ticket=ticket).count() == 2


def test_a_coupon_the_coupons_app_refuses_writes_nothing(agent):
    ticket = make_ticket()

    response = _remedy(as_staff(agent), ticket, {"kind": "coupon", "template_id": 987654})

    assert response.status_code == 404
    assert _nothing_written(ticket)
    assert not Coupon.objects.exists()


def test_a_coupon_needs_a_template(agent):
    ticket = make_ticket()

    response = _remedy(as_staff(agent), ticket, {"kind": "coupon"})

    assert response.status_code == 422
    assert _nothing_written(ticket)


# --- remedies: refund ----------------------------------------------------------------------------


def test_a_refund_returns_the_units_and_pays_their_net_back_to_the_tender(agent, store):
    order = handed_over_order(store, quantity=3, price=Decimal("12.34"))
    line = order.lines.get()
    ticket = make_ticket(order=order)

    response = _remedy(
        as_staff(agent), ticket, {"kind": "refund", "lines": [{"line_id": line.pk, "quantity": 2}], "note": "破损"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "24.68"
    refund = Refund.objects.get()
    assert refund.amount == Decimal("24.68")
    assert response.json()["reference"] == f"refund:{refund.pk}"
    assert Payment.objects.get(order=order).refunded_amount == Decimal("24.68")
    order.refresh_from_db()
    assert order.refunded_total == Decimal("24.68")
    line.refresh_from_db()
    assert line.returned_quantity == 2
    assert "24.68" in TicketMessage.objects.get(ticket=ticket).body


def test_a_retried_refund_pays_once(agent, store):
    order = handed_over_order(store, quantity=1)
    ticket = make_ticket(order=order)
    client = as_staff(agent)

    first = _remedy(client, ticket, {"kind": "refund"}, key="r-1")
    again = _remedy(client, ticket, {"kind": "refund"}, key="r-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Refund.objects.count() == 1
    order.refresh_from_db()
    assert (order.state, order.refunded_total) == ("refunded", Decimal("12.34"))


def test_a_refund_beyond_what_was_sold_is_the_orders_error_and_writes_nothing(agent, store):
    order = handed_over_order(store, quantity=1)
    line = order.lines.get()
    ticket = make_ticket(order=order)

    response = _remedy(as_staff(agent), ticket, {"kind": "refund", "lines": [{"line_id": line.pk, "quantity": 2}]})

    assert response.status_code == 422
    assert problem_code(response) == "return_exceeds_sold"
    assert _nothing_written(ticket)
    assert not Refund.objects.exists()
    assert OrderLine.objects.get(pk=line.pk).returned_quantity == 0


def test_a_refund_needs_an_order_on_the_ticket(agent):
    ticket = make_ticket()

    response = _remedy(as_staff(agent), ticket, {"kind": "refund"})

    assert response.status_code == 422
    assert _nothing_written(ticket)


def test_a_failure_after_the_refund_was_booked_rolls_the_refund_back(agent, store, monkeypatch):
    order = handed_over_order(store, quantity=1)
    ticket = make_ticket(order=order)

    def broken(ticket, body):
        raise RuntimeError("the message could not be written")

    monkeypatch.setattr(complaints, "_tell_customer", broken)

    with pytest.raises(RuntimeError):
        complaints.carry_out_remedy(
            actor=actor_for_user(agent.user),
            ticket_id=ticket.pk,
            request=complaints.RemedyRequest(kind="refund"),
            key="x",
        )

    assert _nothing_written(ticket)
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert (order.state, order.refunded_total) == ("picked_up", Decimal("0.00"))
    assert Payment.objects.get(order=order).refunded_amount == Decimal("0.00")


def test_a_clerk_of_the_escalated_store_may_not_refund_its_manager_may(store):
    order = handed_over_order(store, quantity=1)
    ticket = make_ticket(order=order, escalated_to=store)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    by_clerk = _remedy(as_staff(clerk), ticket, {"kind": "refund"})
    by_manager = _remedy(as_staff(manager), ticket, {"kind": "refund"})

    assert by_clerk.status_code == 403
    assert by_manager.status_code == 201
    assert Refund.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "cash"},
        {"kind": "refund", "lines": [{"line_id": 1, "quantity": 0}]},
        {"kind": "refund", "lines": [{"line_id": 1, "quantity": 1.5}]},
        {"kind": "refund", "lines": [{"line_id": "x", "quantity": 1}]},
        {"kind": "coupon", "template_id": True},
        {"kind": "redelivery", "note": "x" * 501},
        {"kind": "redelivery", "note": ""},
    ],
)
def test_bad_remedies_are_a_422(agent, store, body):
    ticket = make_ticket(order=handed_over_order(store, quantity=1))

    response = _remedy(as_staff(agent), ticket, body)

    assert response.status_code == 422, response.content
    assert _nothing_written(ticket)


def test_a_too_long_idempotency_key_is_a_422(agent):
    ticket = make_ticket()

    response = _remedy(as_staff(agent), ticket, {"kind": "coupon", "template_id": _template().pk}, key="k" * 81)

    assert response.status_code == 422
    assert _nothing_written(ticket)


# --- remedies: re-delivery -----------------------------------------------------------------------


def test_a_redelivery_records_the_instruction_for_the_order(agent, store):
    order = handed_over_order(store, quantity=1)
    ticket = make_ticket(order=order)

    response = _remedy(as_staff(agent), ticket, {"kind": "redelivery", "note": "明天补发一瓶"})

    assert response.status_code == 201
    assert (response.json()["reference"], response.json()["note"]) == (f"order:{order.number}", "明天补发一瓶")
    assert order.number in TicketMessage.objects.get(ticket=ticket).body
    assert not Refund.objects.exists()


def test_a_store_of_another_ticket_gets_404_for_remedies(store, other_store):
    ticket = make_ticket(order=handed_over_order(store, quantity=1), escalated_to=store)
    outsider = EmployeeFactory(role=Role.STORE_MANAGER, home_location=LocationFactory())

    response = _remedy(as_staff(outsider), ticket, {"kind": "refund"})

    assert response.status_code == 404
    assert _nothing_written(ticket)
    assert not Refund.objects.exists()
