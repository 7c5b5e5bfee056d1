"""The toolbox on PostgreSQL: a share retried at once with one Idempotency-Key makes one link, a
reader's forward tapped on two phones at once makes one child link, racing pings keep the largest,
and inquiries racing one address's budget are granted exactly the budget."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.leads.models import Lead
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values
from o2o.toolbox import services
from o2o.toolbox.models import Inquiry, MaterialOpen, MaterialShare

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]

READER = "racing-reader-key-0000001"


def _material():
    return services.publish_material(actor=SYSTEM, spec=services.MaterialSpec(kind="news", title="开业"))


def test_eight_shares_with_one_idempotency_key_make_one_link():
    clerk = EmployeeFactory(role=Role.CLERK)
    material = _material()
    who = actor_for_user(clerk.user)

    outcomes = run_together(
        [lambda: services.share_material(actor=who, material_id=material.pk, idempotency_key="k1") for _ in range(8)]
    )

    assert [o.error for o in outcomes] == [None] * 8
    assert len({o.value.pk for o in outcomes}) == 1
    assert MaterialShare.objects.count() == 1


def test_a_forward_tapped_six_times_at_once_makes_one_child_link():
    clerk = EmployeeFactory(role=Role.CLERK)
    share = services.share_material(actor=actor_for_user(clerk.user), material_id=_material().pk)
    opened = services.record_open(token=share.token, visitor_key=READER)

    outcomes = run_together(
        [lambda: services.forward_share(token=share.token, open_id=opened.pk, visitor_key=READER) for _ in range(6)]
    )

    assert [o.error for o in outcomes] == [None] * 6
    assert len({o.value.token for o in outcomes}) == 1
    assert MaterialShare.objects.filter(depth=1).count() == 1


def test_racing_pings_keep_the_largest():
    clerk = EmployeeFactory(role=Role.CLERK)
    share = services.share_material(actor=actor_for_user(clerk.user), material_id=_material().pk)
    opened = services.record_open(token=share.token, visitor_key=READER)
    MaterialOpen.objects.filter(pk=opened.pk).update(opened_at=timezone.now() - timedelta(minutes=5))

    def ping(seconds):
        return lambda: services.record_reading_time(
            token=share.token, open_id=opened.pk, visitor_key=READER, seconds=seconds
        )

    run_together([ping(s) for s in (10, 200, 50, 120, 30, 90)])

    assert MaterialOpen.objects.get().seconds == 200


def test_inquiries_racing_one_address_get_exactly_its_budget(settings):
    settings.O2O_TOOLBOX_INQUIRIES_PER_CLIENT = "3/hour"
    clerk = EmployeeFactory(role=Role.CLERK)
    share = services.share_material(actor=actor_for_user(clerk.user), material_id=_material().pk)

    def ask(n):
        request = services.InquiryIn(kind="ask", phone=f"1380013800{n}")
        return lambda: services.submit_inquiry(token=share.token, request=request, client="203.0.113.9")

    outcomes = run_together([ask(n) for n in range(8)])

    assert len(values(outcomes)) == 3
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.RATE_LIMITED] * 5
    assert (Inquiry.objects.count(), Lead.objects.count()) == (3, 3)
