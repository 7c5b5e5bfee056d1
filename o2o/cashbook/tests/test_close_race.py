"""Two managers press "close" for the same day at once: one close, the other a 409 (PostgreSQL)."""

from decimal import Decimal

import pytest

from o2o.access.actors import actor_for_user
from o2o.cashbook.days import today
from o2o.cashbook.models import DailyClose
from o2o.cashbook.services import close_business_day
from o2o.core.errors import ErrorCode
from o2o.core.models import IdempotencyRecord
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RACES = 20


def test_two_closes_of_one_day_at_once_leave_one_close(store):
    # given: two managers of the store, and HQ
    closers = [
        actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user),
        actor_for_user(EmployeeFactory(role=Role.HQ, home_location=None).user),
    ]
    outcomes_seen = []
    for race in range(RACES):
        DailyClose.objects.all().delete()

        # when: both close today at the same moment, with their own keys
        outcomes = run_together(
            [
                lambda actor=actor, n=n, race=race: close_business_day(
                    actor=actor,
                    location_id=store.pk,
                    business_date=today(),
                    counted_cash=Decimal(n),
                    idempotency_key=f"race-{race}-{n}",
                )
                for n, actor in enumerate(closers)
            ]
        )

        # then: one close; the other refused as already closed, never a 500
        errors = domain_errors(outcomes)
        assert len(values(outcomes)) == 1
        assert [error.code for error in errors] == [ErrorCode.DAY_ALREADY_CLOSED]
        assert DailyClose.objects.filter(location=store, business_date=today()).count() == 1
        outcomes_seen.append(DailyClose.objects.get().closed_by_id)
    # the refused close left no idempotency record behind: a retry of it gets the 409 again
    assert IdempotencyRecord.objects.filter(operation=f"close_business_day:{store.pk}").count() == RACES
    print(f"\n{RACES} races: {len(set(outcomes_seen))} different winners, {RACES} closes, {RACES} refusals (409)")
