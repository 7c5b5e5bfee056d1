"""The attribution audit finds what does not add up, and nothing in books that do."""

from decimal import Decimal

import pytest
from django.db.models import F

from o2o.access.actors import actor_for_user
from o2o.attribution import audit
from o2o.attribution.models import LineCredit, MatrixVersion, TouchpointShare
from o2o.attribution.tests.conftest import counter_sale, online_order
from o2o.payments.services import cancel_order, refund_order
from o2o.testing.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_clean_books_have_no_findings(store, clerk, manager, tea, hq):
    sold = counter_sale(clerk, tea, quantity=3)
    refund_order(actor=actor_for_user(manager.user), order=sold, returned={sold.lines.get().pk: 1}, reason="x")
    cancel_order(actor=actor_for_user(hq.user), order=online_order(MemberFactory(), store, tea))

    assert audit.run() == []


def test_a_matrix_that_does_not_add_up_is_found():
    TouchpointShare.objects.filter(rule__touchpoint="store_sale", party="cashier").update(percent=Decimal("70"))

    version = MatrixVersion.objects.get()
    assert [str(f) for f in audit.run()] == [f"matrix_shares: version {version.pk} store_sale: 90.00%, 1 owners"]


def test_a_credit_changed_behind_the_books_is_found(clerk, tea):
    order = counter_sale(clerk, tea)
    LineCredit.objects.filter(order=order, redirected_from="").update(amount=F("amount") + Decimal("0.01"))

    [finding] = audit.run()

    assert finding.check == "line_split"
    assert finding.detail == "net 9.99, credited 10.00"


def test_units_returned_without_reversals_are_found(clerk, tea):
    order = counter_sale(clerk, tea, quantity=2)
    order.lines.update(returned_quantity=1)  # a return booked behind attribution's back

    assert {f.check for f in audit.run()} == {"credit_reversals"}
