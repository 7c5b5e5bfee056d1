"""capture_lead on PostgreSQL: captures racing each other for one person end with one lead, and
every caller gets that lead back (the unique constraints decide, never a 500)."""

import pytest

from o2o.access.actors import actor_for_user
from o2o.leads.models import FollowUp, Lead
from o2o.leads.services import capture_lead, complete_follow_up, schedule_follow_up
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


def test_eight_captures_of_one_member_make_one_lead():
    employee, member = EmployeeFactory(), MemberFactory()

    outcomes = run_together(
        [lambda: capture_lead(employee_id=employee.pk, member_id=member.pk, source="share_open") for _ in range(8)]
    )

    assert [o.error for o in outcomes] == [None] * 8
    assert len({o.value.pk for o in outcomes}) == 1
    assert Lead.objects.filter(employee=employee, member=member).count() == 1


def test_eight_captures_of_one_phone_make_one_lead():
    employee = EmployeeFactory()

    outcomes = run_together(
        [lambda: capture_lead(employee_id=employee.pk, phone="13800138000", source="inquiry") for _ in range(8)]
    )

    assert [o.error for o in outcomes] == [None] * 8
    assert len({o.value.pk for o in outcomes}) == 1
    assert Lead.objects.filter(employee=employee).count() == 1


def test_two_completions_racing_one_follow_up_one_wins_the_other_409():
    from datetime import timedelta

    from django.utils import timezone

    from o2o.core.errors import DomainError, ErrorCode

    employee = EmployeeFactory()
    lead = capture_lead(employee_id=employee.pk, phone="13800138000", source="manual")
    who = actor_for_user(employee.user)
    task = schedule_follow_up(actor=who, lead_id=lead.pk, due_on=timezone.localdate() + timedelta(days=1), kind="call")

    outcomes = run_together([lambda: complete_follow_up(actor=who, follow_up_id=task.pk, outcome="ok")] * 4)

    errors = [o.error for o in outcomes if o.error is not None]
    assert len(errors) == 3
    assert all(isinstance(e, DomainError) and e.code == ErrorCode.ILLEGAL_TRANSITION for e in errors)
    assert FollowUp.objects.get(pk=task.pk).state == "done"
