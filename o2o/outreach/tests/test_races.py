"""Visit counting races on PostgreSQL with real threads: the unique constraint on (employee,
visitor, hour) decides, so one visitor's many tabs opening the link at once count once, and many
visitors at once count once each. Run with -s to see the figures."""

from functools import partial

import pytest
from django.utils import timezone

from o2o.outreach.models import ShareVisit
from o2o.outreach.services import record_visit
from o2o.testing.factories import EmployeeFactory, LocationFactory
from o2o.testing.races import requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

TABS = 10


def test_one_visitors_tabs_opening_the_link_at_once_count_one_visit():
    employee = EmployeeFactory(home_location=LocationFactory())
    at = timezone.now()

    outcomes = run_together([partial(record_visit, employee=employee, visitor_cookie="same-cookie", path="/shop/e/x/",
                                     at=at) for _ in range(TABS)])  # fmt: skip

    counted = values(outcomes)
    print(f"\n{TABS} tabs at once: {counted.count(True)} counted, {counted.count(False)} refused by the constraint")
    assert len(counted) == TABS  # no call failed: a duplicate is an answer (False), never an error
    assert counted.count(True) == 1
    assert ShareVisit.objects.filter(employee=employee).count() == 1


def test_many_visitors_at_once_count_once_each():
    employee = EmployeeFactory(home_location=LocationFactory())
    at = timezone.now()

    cookies = [f"cookie-{i % 4}" for i in range(TABS)]  # 4 visitors, some with several tabs
    outcomes = run_together([partial(record_visit, employee=employee, visitor_cookie=cookie, path="/shop/e/x/", at=at)
                             for cookie in cookies])  # fmt: skip

    assert values(outcomes).count(True) == 4
    assert ShareVisit.objects.filter(employee=employee).count() == 4
