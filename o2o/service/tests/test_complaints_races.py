"""Remedy races on PostgreSQL with real threads: the same remedy retried at once under one
Idempotency-Key grants one coupon (or pays one refund); remedies under different keys on one ticket
queue on the ticket's row and each is carried out once. Run with -s for figures."""

import time
from decimal import Decimal
from functools import partial

import pytest

from o2o.access.actors import actor_for_user
from o2o.coupons.models import Coupon
from o2o.payments.models import Refund
from o2o.service import complaints
from o2o.service.models import Remedy, TicketEvent
from o2o.service.tests.test_complaints import _template, handed_over_order, make_ticket
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory
from o2o.testing.races import requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]


def _remedy(agent, ticket_id, request, key):
    return complaints.carry_out_remedy(actor=actor_for_user(agent.user), ticket_id=ticket_id, request=request, key=key)


def test_ten_retries_of_one_coupon_remedy_at_once_grant_one_coupon():
    agent = EmployeeFactory(role=Role.CS_AGENT)
    ticket = make_ticket()
    asked = complaints.RemedyRequest(kind="coupon", template_id=_template().pk)
    started = time.perf_counter()

    outcomes = run_together([partial(_remedy, agent, ticket.pk, asked, "same-key") for _ in range(10)])

    elapsed = time.perf_counter() - started
    assert [o.error for o in outcomes] == [None] * 10
    assert len({remedy.pk for remedy in values(outcomes)}) == 1
    assert Coupon.objects.filter(member=ticket.member).count() == 1
    assert (Remedy.objects.count(), TicketEvent.objects.filter(kind="remedied").count()) == (1, 1)
    print(f"\n10 retries of one coupon remedy at once: 1 coupon, 1 remedy, {elapsed:.2f}s")


def test_five_refund_retries_and_five_other_keys_at_once_pay_the_order_back_once():
    agent = EmployeeFactory(role=Role.CS_AGENT)
    order = handed_over_order(LocationFactory(), quantity=1)
    ticket = make_ticket(order=order)
    asked = complaints.RemedyRequest(kind="refund")
    calls = [partial(_remedy, agent, ticket.pk, asked, "same-key") for _ in range(5)]
    calls += [partial(_remedy, agent, ticket.pk, asked, f"other-{i}") for i in range(5)]
    started = time.perf_counter()

    outcomes = run_together(calls)

    elapsed = time.perf_counter() - started
    refused = [o.error for o in outcomes if o.error is not None]
    assert Refund.objects.count() == 1
    assert Refund.objects.get().amount == Decimal("12.34")
    assert Remedy.objects.count() == 1
    order.refresh_from_db()
    assert order.refunded_total == Decimal("12.34")
    # whoever came after the refund finds the order refunded (409), never a second refund or a 500
    assert all(getattr(e, "code", None) == "illegal_transition" for e in refused)
    print(f"\n10 refund remedies at once on one order: 1 refund, {len(refused)} refused (409), {elapsed:.2f}s")
