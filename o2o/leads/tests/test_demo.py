"""The demo chain has leads for the store staff: one per member they signed up (up to five),
follow-ups whose states agree with their times, and each lead's next follow-up date is its
earliest open task's, as the services keep it."""

from datetime import date

import pytest
from django.db.models import Min, Q

from o2o.demo.generator import generate_demo
from o2o.leads.models import FollowUp, Lead

pytestmark = pytest.mark.django_db


def test_the_demo_has_leads_and_follow_ups_that_agree():
    generate_demo(seed=3, stores=2, skus=10, members=60, days=5, orders_per_store_day=2, today=date(2025, 3, 10))

    leads = Lead.objects.annotate(first_open=Min("follow_ups__due_on", filter=Q(follow_ups__state="open")))
    assert leads.exists()
    mine = leads.filter(source="acquired", member__isnull=False)  # other apps' demos capture leads too
    assert mine.exists()
    assert all(lead.member.acquiring_employee_id == lead.employee_id for lead in mine)
    assert all(lead.next_follow_up_on == lead.first_open for lead in leads)
    assert FollowUp.objects.filter(state="done").exists()
    assert all(f.employee_id == f.lead.employee_id for f in FollowUp.objects.select_related("lead"))
