"""The employee's customer pages (/me/customers/, /me/follow-ups/) and the manager's follow-up
assignment page (/manager/follow-ups/), driven with Django's client as the people who use them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from o2o.leads.models import FollowUp, Lead, LeadNote
from o2o.leads.services import capture_lead
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db


def signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def test_my_customers_page_lists_leads_and_acquired_members_with_their_phones(clerk):
    acquired = MemberFactory(acquiring_employee=clerk, name="赵女士")
    capture_lead(employee_id=clerk.pk, phone="13800138000", name="王先生", source="manual")

    page = signed_in(clerk).get("/me/customers/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "王先生" in text and "+8613800138000" in text
    assert "赵女士" in text and acquired.phone in text


def test_a_note_on_a_member_customer_creates_their_lead(clerk):
    acquired = MemberFactory(acquiring_employee=clerk)

    response = signed_in(clerk).post(f"/me/customers/member/{acquired.pk}/", {"action": "note", "body": "喜欢新品"})

    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/me/customers/{lead.pk}/"
    assert (lead.member_id, lead.source) == (acquired.pk, "acquired")
    assert list(LeadNote.objects.values_list("body", flat=True)) == ["喜欢新品"]


def test_a_stranger_members_card_and_another_employees_lead_are_404(store, clerk):
    colleague = EmployeeFactory(home_location=store)
    lead = capture_lead(employee_id=colleague.pk, phone="13800138000", source="manual")
    stranger = MemberFactory()
    client = signed_in(clerk)

    answers = [
        client.get(f"/me/customers/{lead.pk}/"),
        client.post(f"/me/customers/{lead.pk}/", {"action": "note", "body": "x"}),
        client.get(f"/me/customers/member/{stranger.pk}/"),
        client.post(f"/me/customers/member/{stranger.pk}/", {"action": "note", "body": "x"}),
    ]

    assert [a.status_code for a in answers] == [404] * 4
    assert LeadNote.objects.count() == 0 and Lead.objects.count() == 1


def test_schedule_and_complete_a_follow_up_from_the_pages(clerk):
    lead = capture_lead(employee_id=clerk.pk, phone="13800138000", source="manual")
    client = signed_in(clerk)

    scheduled = client.post(f"/me/customers/{lead.pk}/", {"action": "follow_up", "due_on": tomorrow(), "kind": "call"})
    due = client.get("/me/follow-ups/")
    follow_up = FollowUp.objects.get()
    done = client.post(f"/me/follow-ups/{follow_up.pk}/done/", {"outcome": "约了周六", "next": "due"})
    again = client.post(f"/me/follow-ups/{follow_up.pk}/done/", {"outcome": "x", "next": "due"})

    assert scheduled.status_code == 302
    assert due.status_code == 200 and str(lead) in due.content.decode()
    assert done.status_code == again.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.state, follow_up.outcome) == ("done", "约了周六")


def test_bad_page_input_is_a_form_error_and_writes_nothing(clerk):
    lead = capture_lead(employee_id=clerk.pk, phone="13800138000", source="manual")
    client = signed_in(clerk)

    past = client.post(f"/me/customers/{lead.pk}/", {"action": "follow_up", "due_on": "2000-01-01", "kind": "call"})
    kind = client.post(f"/me/customers/{lead.pk}/", {"action": "follow_up", "due_on": tomorrow(), "kind": "dance"})
    action = client.post(f"/me/customers/{lead.pk}/", {"action": "drop_table"})
    phone = client.post("/me/customers/", {"phone": "12345"})

    assert [past.status_code, kind.status_code, action.status_code, phone.status_code] == [422, 422, 400, 422]
    assert FollowUp.objects.count() == 0 and Lead.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get("/me/customers/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_manager_sees_their_teams_leads_masked_and_assigns_a_follow_up(store, clerk):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    lead = capture_lead(employee_id=clerk.pk, phone="13800138000", name="", source="manual")
    client = signed_in(manager)

    page = client.get("/manager/follow-ups/")
    assigned = client.post(
        "/manager/follow-ups/", {"lead_id": lead.pk, "due_on": tomorrow(), "kind": "visit", "note": "上门"}
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "+86138****8000" in text and "+8613800138000" not in text
    assert assigned.status_code == 302
    follow_up = FollowUp.objects.get()
    assert (follow_up.employee_id, follow_up.assigned_by_id, follow_up.kind) == (clerk.pk, manager.pk, "visit")


def test_the_manager_cannot_assign_on_another_stores_lead(store, other_store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    elsewhere = EmployeeFactory(home_location=other_store)
    lead = capture_lead(employee_id=elsewhere.pk, phone="13800138000", source="manual")

    response = signed_in(manager).post(
        "/manager/follow-ups/", {"lead_id": lead.pk, "due_on": tomorrow(), "kind": "visit"}
    )

    assert response.status_code == 404
    assert FollowUp.objects.count() == 0


def test_a_clerk_may_not_open_the_assignment_page(clerk):
    assert signed_in(clerk).get("/manager/follow-ups/").status_code == 403
