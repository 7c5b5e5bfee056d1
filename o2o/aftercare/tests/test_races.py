"""Follow-ups on PostgreSQL: two scheduler runs, agents claiming one visit, answers to one link,
all at the same instant. The UNIQUE constraints and conditional UPDATEs decide, never a 500."""

import time

import pytest

from o2o.access.actors import actor_for_user
from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.aftercare.services import answer_survey, claim_visit, schedule_order_visits
from o2o.aftercare.tests.helpers import days_later, default_policy, picked_up_order, survey_token, visits_due
from o2o.core.errors import DomainError, ErrorCode
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]
RUNS = 4


def _codes(outcomes) -> list[str]:
    return sorted(str(o.error.code) for o in outcomes if isinstance(o.error, DomainError))


def test_scheduler_runs_racing_write_one_visit_per_order():
    default_policy()
    store = LocationFactory()
    orders = [picked_up_order(member=MemberFactory(), store=store, sku=SKUFactory()) for _ in range(6)]
    now = days_later(4)

    started = time.perf_counter()
    outcomes = run_together([lambda: schedule_order_visits(now=now)] * RUNS)
    elapsed = time.perf_counter() - started

    assert [o.error for o in outcomes] == [None] * RUNS
    assert min(o.value for o in outcomes) >= 0
    assert FollowUpVisit.objects.count() == len(orders)
    assert sorted(FollowUpVisit.objects.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    print(f"{RUNS} scheduler runs over {len(orders)} orders at once: {elapsed * 1000:.0f} ms")


def test_agents_racing_for_one_visit_one_claims_it():
    default_policy(channel="phone")
    store = LocationFactory()
    picked_up_order(member=MemberFactory(), store=store, sku=SKUFactory())
    visits_due(days=4)
    visit = FollowUpVisit.objects.get()
    agents = [EmployeeFactory(role=Role.CS_AGENT, home_location=None) for _ in range(RUNS)]

    outcomes = run_together(
        [lambda agent=agent: claim_visit(actor=actor_for_user(agent.user), visit_id=visit.pk) for agent in agents]
    )

    winners = [o.value.assigned_to_id for o in outcomes if o.error is None]
    assert len(winners) == 1
    assert _codes(outcomes) == [ErrorCode.FOLLOW_UP_CLAIMED] * (RUNS - 1)
    assert FollowUpVisit.objects.get().assigned_to_id == winners[0]


def test_answers_racing_on_one_link_the_first_stands():
    default_policy()
    member = MemberFactory()
    picked_up_order(member=member, store=LocationFactory(), sku=SKUFactory())
    visits_due(days=4)
    token = survey_token(member)

    outcomes = run_together([lambda score=score: answer_survey(token=token, score=score) for score in (3, 4, 5, 5)])

    assert len([o for o in outcomes if o.error is None]) == 1
    assert _codes(outcomes) == [ErrorCode.SURVEY_ANSWERED] * (RUNS - 1)
    answer = SurveyResponse.objects.get()
    assert answer.score == next(o.value.score for o in outcomes if o.error is None)
    assert FollowUpVisit.objects.get().state == "done"
