"""A new matrix version takes effect from its date, never rewrites credits already written; what
crediting costs inside the paying transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import actor_for_user
from o2o.attribution import handlers, services
from o2o.attribution.defaults import DEFAULT_MATRIX
from o2o.attribution.models import LineCredit, MatrixVersion, Touchpoint, TouchpointRule, TouchpointShare
from o2o.attribution.tests.conftest import counter_sale, lend, online_order, rows
from o2o.core import events
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _publish(hq, days=0, **changes):
    rules = [
        services.RuleIn(
            touchpoint=touchpoint,
            lead=lead,
            shares=[services.ShareIn(p, Decimal(pc), o) for p, pc, o in changes.get(touchpoint, shares)],
        )
        for touchpoint, (lead, shares) in DEFAULT_MATRIX.items()
    ]
    return services.publish_matrix_version(
        actor=actor_for_user(hq.user), effective_from=timezone.localdate() + timedelta(days=days), rules=rules
    )


@pytest.fixture
def unattributed(monkeypatch):
    """Orders get paid without attribution's handler (and nothing listens to LINES_CREDITED), so a
    test can credit them itself: at a chosen paid time, or counting its statements."""
    paid = [h for h in events._handlers[events.ORDER_PAID] if h is not handlers.credit_paid_lines]
    monkeypatch.setitem(events._handlers, events.ORDER_PAID, paid)
    monkeypatch.setitem(events._handlers, events.LINES_CREDITED, [])


def test_a_version_takes_effect_from_its_date_and_never_rewrites_credits(clerk, tea, hq):
    # given: a sale credited by the default matrix
    before = counter_sale(clerk, tea)
    written = list(LineCredit.objects.filter(order=before).values())

    # when: HQ publishes a version from today (60 / 40) and one from tomorrow (all to the cashier)
    today_version = _publish(hq, store_sale=[("cashier", "60", True), ("acquiring_employee", "40", False)])
    _publish(hq, days=1, store_sale=[("cashier", "100", True)])
    after = counter_sale(clerk, tea)

    # then: the earlier sale's credits are untouched, the new one follows today's version
    assert list(LineCredit.objects.filter(order=before).values()) == written
    assert {c.version_id for c in LineCredit.objects.filter(order=after)} == {today_version.pk}
    assert rows(after) == [
        ("cashier", "", clerk.pk, None, "60.00", "5.99"),
        ("cashier", "acquiring_employee", clerk.pk, None, "40.00", "4.00"),
    ]


def test_the_matrix_is_read_once_per_process_and_again_when_a_version_is_published(
    clerk, tea, hq, django_capture_on_commit_callbacks
):
    # given: a process that credited a sale already
    counter_sale(clerk, tea)

    # when: it credits another, then HQ's publication of a version from today commits
    with CaptureQueriesContext(connection) as crediting:
        counter_sale(clerk, tea)
    with django_capture_on_commit_callbacks(execute=True):
        today_version = _publish(hq, store_sale=[("cashier", "100", True)])
    after = counter_sale(clerk, tea)

    # then: the second sale read no matrix; the sale after the publication follows the new version
    assert not [q for q in crediting if "attribution_touchpoint" in q["sql"]]
    assert {c.version_id for c in LineCredit.objects.filter(order=after)} == {today_version.pk}
    assert rows(after) == [("cashier", "", clerk.pk, None, "100.00", "9.99")]


def test_an_order_paid_on_a_later_date_uses_the_version_of_that_date(clerk, tea, hq, unattributed):
    tomorrow = _publish(hq, days=1, store_sale=[("cashier", "100", True)])
    order = counter_sale(clerk, tea)
    order.paid_at = order.paid_at + timedelta(days=1)

    services.attribute_order(order=order)

    assert {c.version_id for c in LineCredit.objects.filter(order=order)} == {tomorrow.pk}
    assert rows(order) == [("cashier", "", clerk.pk, None, "100.00", "9.99")]


def test_a_missing_owner_s_share_goes_to_the_selling_store(store, tea, hq):
    # given: a version where the acquiring employee owns store pickups
    _publish(hq, store_pickup=[("acquiring_employee", "60", True), ("fulfilling_store", "40", False)])

    # when: a member nobody acquired picks up an order
    order = online_order(MemberFactory(), store, tea, quantity=2)

    # then: the owner's share goes to the selling store, saying whose it was
    assert rows(order) == [
        ("selling_store", "acquiring_employee", None, store.pk, "60.00", "11.99"),
        ("fulfilling_store", "", None, store.pk, "40.00", "7.99"),
    ]


def test_crediting_a_counter_sale_costs_five_statements(store, clerk, tea, unattributed, django_assert_max_num_queries):
    order = counter_sale(clerk, tea, quantity=2, member=MemberFactory(acquiring_employee=EmployeeFactory()))

    # the order's facts, the lines, the matrix (its version row and shares: the process's first
    # order), one INSERT
    with django_assert_max_num_queries(5):
        credits = services.attribute_order(order=order)

    assert len(credits) == 2


def test_crediting_a_lent_clerk_s_sale_adds_one_loan_look_up(
    store, other_store, tea, unattributed, django_assert_max_num_queries
):
    lent = EmployeeFactory(home_location=other_store)
    lend(lent, to_store=store)
    order = counter_sale(lent, tea, at=store)

    with django_assert_max_num_queries(6):
        credits = services.attribute_order(order=order)

    assert {c.touchpoint for c in credits} == {Touchpoint.SUPPORT_SALE}


def test_reversing_a_return_costs_three_statements(clerk, tea, monkeypatch, django_assert_max_num_queries):
    order = counter_sale(clerk, tea, quantity=3)
    monkeypatch.setitem(events._handlers, events.CREDITS_REVERSED, [])  # only attribution's statements
    line = order.lines.get()

    with django_assert_max_num_queries(3):
        reversals = services.reverse_returned_units(order=order, lines=[{"line_id": line.pk, "quantity": 1}])

    assert [str(r.amount) for r in reversals] == ["-7.99", "-2.00"]


def test_an_emptied_matrix_is_seeded_again(clerk, tea):
    # a database emptied after the migrations (transactional tests flush every table)
    TouchpointShare.objects.all().delete()
    TouchpointRule.objects.all().delete()
    MatrixVersion.objects.all().delete()

    order = counter_sale(clerk, tea)

    assert MatrixVersion.objects.get().effective_from.isoformat() == "2000-01-01"
    assert rows(order)[0][:2] == ("cashier", "")
