"""Races on PostgreSQL: two stores for the last seat; two requests taking the same employee at once."""

from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from o2o.access.actors import actor_for_user
from o2o.staff.models import Role
from o2o.staffing.models import Loan, SupportRequest
from o2o.staffing.services import RequestIn, create_request, lend_employee
from o2o.testing.factories import EmployeeFactory, LocationFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


def _request(location, *, headcount: int = 1, start_in_hours: int = 2) -> SupportRequest:
    from o2o.access.actors import SYSTEM

    starts = timezone.now() + timedelta(hours=start_in_hours)
    asked = RequestIn(location_id=location.pk, role=Role.CLERK, headcount=headcount, starts_at=starts,
                      ends_at=starts + timedelta(hours=8))  # fmt: skip
    return create_request(actor=SYSTEM, request=asked)


def test_two_stores_lending_for_the_last_seat_fill_it_once():
    for _ in range(ROUNDS):
        # given: a request for one clerk and two stores' managers, each with a clerk
        request = _request(LocationFactory())
        lenders = []
        for _ in range(2):
            store = LocationFactory()
            manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
            lenders.append((actor_for_user(manager.user), EmployeeFactory(role=Role.CLERK, home_location=store)))

        # when: both lend at once
        outcomes = run_together(
            [
                partial(lend_employee, actor=actor, request_id=request.pk, employee_id=clerk.pk)
                for actor, clerk in lenders
            ]
        )

        # then: one loan, the other refused with headcount_filled; the seat counter says one
        assert len(values(outcomes)) == 1
        assert [error.code for error in domain_errors(outcomes)] == ["headcount_filled"]
        assert Loan.objects.filter(request=request).count() == 1
        assert SupportRequest.objects.get(pk=request.pk).taken == 1


def test_the_same_employee_lent_to_two_stores_at_once_is_lent_once():
    for _ in range(ROUNDS):
        # given: two stores ask for a clerk for overlapping windows; a third store's manager and HQ
        home = LocationFactory()
        clerk = EmployeeFactory(role=Role.CLERK, home_location=home)
        manager = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=home).user)
        hq = actor_for_user(EmployeeFactory(role=Role.HQ, home_location=None).user)
        first, second = _request(LocationFactory()), _request(LocationFactory(), start_in_hours=4)

        # when: the manager lends the clerk to one while HQ lends the same clerk to the other
        outcomes = run_together(
            [
                partial(lend_employee, actor=manager, request_id=first.pk, employee_id=clerk.pk),
                partial(lend_employee, actor=hq, request_id=second.pk, employee_id=clerk.pk),
            ]
        )

        # then: exactly one loan of the clerk; the other refused as already lent
        assert len(values(outcomes)) == 1
        assert [error.code for error in domain_errors(outcomes)] == ["staff_already_lent"]
        assert Loan.objects.filter(employee=clerk).count() == 1
        assert sorted(SupportRequest.objects.filter(pk__in=[first.pk, second.pk]).values_list("taken", flat=True)) == [
            0,
            1,
        ]
