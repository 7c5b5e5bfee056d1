"""Leads through the API: capture, customers (acquired and served), notes, tags, follow-ups, the
follow-up state machine, manager assignment within their store, authorization and phone visibility."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.leads.models import FollowUp, Lead, LeadNote, LeadTag
from o2o.leads.selectors import customers_of, follow_up_counts
from o2o.leads.services import capture_lead
from o2o.orders.models import Order
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def manual_lead(client: ApiClient, phone: str = "13800138000", name: str = "王先生") -> dict:
    response = client.post("leads", {"phone": phone, "name": name})
    assert response.status_code == 201, response.content
    return response.json()


def patch(client: ApiClient, path: str, body: dict):
    return client._call("patch", path, body)


def put(client: ApiClient, path: str, body: dict):
    return client._call("put", path, body)


# --- capture_lead -------------------------------------------------------------------------------


def test_capture_lead_is_idempotent_on_member_and_on_phone(clerk, member):
    first = capture_lead(employee_id=clerk.pk, member_id=member.pk, source="share_open", note="opened the brochure")
    again = capture_lead(employee_id=clerk.pk, member_id=member.pk, source="inquiry", note="asked a price")
    by_phone = capture_lead(employee_id=clerk.pk, phone="138 0013 8000", name="李", source="inquiry")
    by_phone_again = capture_lead(employee_id=clerk.pk, phone="+8613800138000", source="manual")

    assert again.pk == first.pk and again.source == "share_open"
    assert by_phone_again.pk == by_phone.pk and by_phone.phone == "+8613800138000"
    assert Lead.objects.count() == 2
    assert list(LeadNote.objects.values_list("body", flat=True)) == ["opened the brochure"]


def test_a_phone_lead_who_turns_out_a_member_gets_the_member(clerk, member):
    lead = capture_lead(employee_id=clerk.pk, phone=member.phone, source="share_open")

    linked = capture_lead(employee_id=clerk.pk, member_id=member.pk, phone=member.phone, source="acquired")

    assert linked.pk == lead.pk and linked.member_id == member.pk
    assert Lead.objects.count() == 1


def test_the_same_person_is_a_lead_of_each_employee_separately(store, member):
    one, two = EmployeeFactory(home_location=store), EmployeeFactory(home_location=store)

    capture_lead(employee_id=one.pk, member_id=member.pk, source="served")
    capture_lead(employee_id=two.pk, member_id=member.pk, source="served")

    assert Lead.objects.filter(member=member).count() == 2


@pytest.mark.parametrize("kwargs", [{"phone": "12"}, {"phone": None}, {"phone": "13800138000", "source": "gossip"}])
def test_capture_lead_refuses_bad_input_and_writes_nothing(clerk, kwargs):
    from o2o.core.errors import DomainError

    with pytest.raises(DomainError):
        capture_lead(employee_id=clerk.pk, **{"source": "manual", **kwargs})
    assert Lead.objects.count() == 0


# --- customers ----------------------------------------------------------------------------------


def test_my_customers_are_my_leads_and_the_members_i_acquired_or_served(store, clerk):
    acquired = MemberFactory(acquiring_employee=clerk, acquiring_location=store)
    served_at_pos, served_by_link, stranger = MemberFactory(), MemberFactory(), MemberFactory()
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    sale = place_counter_sale(clerk=clerk, sku=sku, member=served_at_pos)
    as_staff(clerk).post(f"payments/orders/{sale.pk}/in-store", {"method": "cash"})
    linked = paid_pickup_order(member=served_by_link, store=store, sku=sku)
    Order.objects.filter(pk=linked.pk).update(referrer=clerk, channel="share_link")
    paid_pickup_order(member=stranger, store=store, sku=sku)  # nobody's customer
    lead = manual_lead(as_staff(clerk))

    customers = customers_of(clerk.pk)
    response = as_staff(clerk).get("leads/customers")

    assert [(c.lead_id, c.member_id, c.source) for c in customers] == [
        (lead["id"], None, "manual"),
        (None, acquired.pk, "acquired"),
        (None, served_at_pos.pk, "served"),
        (None, served_by_link.pk, "served"),
    ]
    assert [(c["id"], c["source"], c["phone"]) for c in response.json()["results"]] == [
        (acquired.pk, "acquired", acquired.phone),
        (served_at_pos.pk, "served", served_at_pos.phone),
        (served_by_link.pk, "served", served_by_link.phone),
    ]


def test_opening_a_customers_card_creates_their_lead_once(store, clerk):
    acquired = MemberFactory(acquiring_employee=clerk)
    client = as_staff(clerk)

    first = client.post("leads", {"member_id": acquired.pk})
    again = client.post("leads", {"member_id": acquired.pk})

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["phone"] == acquired.phone and first.json()["source"] == "acquired"
    assert client.get("leads/customers").json()["results"] == []


def test_a_member_who_is_not_my_customer_cannot_be_opened(clerk):
    stranger = MemberFactory()

    response = as_staff(clerk).post("leads", {"member_id": stranger.pk})

    assert response.status_code == 404 and problem_code(response) == "not_found"
    assert Lead.objects.count() == 0


# --- notes, tags, follow-ups --------------------------------------------------------------------


def test_notes_tags_and_follow_ups_on_my_lead(clerk):
    client = as_staff(clerk)
    lead = manual_lead(client)

    note = client.post(f"leads/{lead['id']}/notes", {"body": "想要保养套餐"}, headers={"Idempotency-Key": "n1"})
    retry = client.post(f"leads/{lead['id']}/notes", {"body": "想要保养套餐"}, headers={"Idempotency-Key": "n1"})
    tags = put(client, f"leads/{lead['id']}/tags", {"tags": ["VIP", " 保养 ", "VIP", ""]})
    follow_up = client.post(f"leads/{lead['id']}/follow-ups", {"due_on": tomorrow(), "kind": "call"})
    detail = client.get(f"leads/{lead['id']}").json()

    assert note.status_code == 201 and retry.json()["id"] == note.json()["id"]
    assert tags.json() == {"tags": ["VIP", "保养"]}
    assert follow_up.status_code == 201 and follow_up.json()["state"] == "open"
    assert [n["body"] for n in detail["notes"]] == ["想要保养套餐"]
    assert detail["tags"] == ["VIP", "保养"] and detail["next_follow_up_on"] == tomorrow()
    assert follow_up.json()["assigned_by_id"] == clerk.pk == follow_up.json()["employee_id"]
    assert [row["id"] for row in client.get("leads", tag="VIP").json()["results"]] == [lead["id"]]
    assert client.get("leads", tag="other").json()["results"] == []
    assert len(client.get("leads/follow-ups", due_before=tomorrow()).json()["results"]) == 1


def test_replacing_tags_drops_the_old_ones(clerk):
    client = as_staff(clerk)
    lead = manual_lead(client)
    put(client, f"leads/{lead['id']}/tags", {"tags": ["a", "b"]})

    response = put(client, f"leads/{lead['id']}/tags", {"tags": ["b", "c"]})

    assert response.json() == {"tags": ["b", "c"]}
    assert sorted(LeadTag.objects.values_list("tag", flat=True)) == ["b", "c"]


def test_patch_sets_name_next_follow_up_and_contact(clerk):
    client = as_staff(clerk)
    lead = manual_lead(client)

    response = patch(
        client, f"leads/{lead['id']}", {"name": "王总", "next_follow_up_on": tomorrow(), "contacted": True}
    )

    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["next_follow_up_on"]) == ("王总", tomorrow())
    assert body["last_contact_at"] is not None


def test_completing_a_follow_up_twice_is_409_and_cancel_after_done_too(clerk):
    client = as_staff(clerk)
    lead = manual_lead(client)
    follow_up = client.post(f"leads/{lead['id']}/follow-ups", {"due_on": tomorrow(), "kind": "visit"}).json()

    done = client.post(f"leads/follow-ups/{follow_up['id']}/complete", {"outcome": "booked a service"})
    twice = client.post(f"leads/follow-ups/{follow_up['id']}/complete", {"outcome": "again"})
    cancel = client.post(f"leads/follow-ups/{follow_up['id']}/cancel", {"reason": "late"})

    assert done.status_code == 200 and done.json()["state"] == "done"
    assert twice.status_code == cancel.status_code == 409
    assert problem_code(twice) == problem_code(cancel) == "illegal_transition"
    row = FollowUp.objects.get(pk=follow_up["id"])
    assert (row.state, row.outcome) == ("done", "booked a service")
    lead_row = Lead.objects.get(pk=lead["id"])
    assert lead_row.next_follow_up_on is None and lead_row.last_contact_at is not None


def test_a_cancelled_follow_up_cannot_be_completed(clerk):
    client = as_staff(clerk)
    lead = manual_lead(client)
    follow_up = client.post(f"leads/{lead['id']}/follow-ups", {"due_on": tomorrow(), "kind": "message"}).json()

    cancelled = client.post(f"leads/follow-ups/{follow_up['id']}/cancel", {"reason": "moved away"})
    complete = client.post(f"leads/follow-ups/{follow_up['id']}/complete", {})

    assert cancelled.json()["state"] == "cancelled"
    assert complete.status_code == 409 and problem_code(complete) == "illegal_transition"
    assert FollowUp.objects.get(pk=follow_up["id"]).done_at is None


# --- assignment ---------------------------------------------------------------------------------


def test_a_store_manager_assigns_a_follow_up_to_an_employee_of_their_store(store, clerk):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    customer = MemberFactory(acquiring_employee=clerk)

    response = as_staff(manager).post(
        "leads/follow-ups",
        {"employee_id": clerk.pk, "member_id": customer.pk, "due_on": tomorrow(), "kind": "service_check"},
    )

    assert response.status_code == 201, response.content
    follow_up = FollowUp.objects.get()
    assert (follow_up.employee_id, follow_up.assigned_by_id, follow_up.lead.member_id) == (
        clerk.pk,
        manager.pk,
        customer.pk,
    )
    mine = as_staff(clerk).get("leads/follow-ups").json()["results"]
    assert [row["id"] for row in mine] == [follow_up.pk]
    assert follow_up_counts(since=timezone.localdate(), until=timezone.localdate() + timedelta(days=1)) == {
        clerk.pk: (1, 0, 0)
    }


def test_a_store_manager_cannot_assign_to_another_stores_employee(store, other_store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    elsewhere = EmployeeFactory(home_location=other_store)
    lead = capture_lead(employee_id=elsewhere.pk, phone="13800138000", source="manual")

    response = as_staff(manager).post(
        "leads/follow-ups", {"employee_id": elsewhere.pk, "lead_id": lead.pk, "due_on": tomorrow(), "kind": "call"}
    )

    assert response.status_code == 404
    assert FollowUp.objects.count() == 0


def test_hq_assigns_to_anyone_a_clerk_to_nobody(store, clerk):
    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    other_clerk = EmployeeFactory(home_location=store)
    lead = capture_lead(employee_id=clerk.pk, phone="13800138000", source="manual")
    body = {"employee_id": clerk.pk, "lead_id": lead.pk, "due_on": tomorrow(), "kind": "call"}

    by_clerk = as_staff(other_clerk).post("leads/follow-ups", body)
    by_hq = as_staff(hq).post("leads/follow-ups", body)

    assert by_clerk.status_code == 403
    assert by_hq.status_code == 201
    assert FollowUp.objects.get().assigned_by_id == hq.pk


def test_the_manager_may_cancel_a_task_they_assigned_but_not_complete_it(store, clerk):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    lead = capture_lead(employee_id=clerk.pk, phone="13800138000", source="manual")
    body = {"employee_id": clerk.pk, "lead_id": lead.pk, "due_on": tomorrow(), "kind": "call"}
    follow_up = as_staff(manager).post("leads/follow-ups", body).json()

    complete = as_staff(manager).post(f"leads/follow-ups/{follow_up['id']}/complete", {})
    cancel = as_staff(manager).post(f"leads/follow-ups/{follow_up['id']}/cancel", {"reason": "customer moved"})

    assert complete.status_code == 403
    assert cancel.status_code == 200 and cancel.json()["state"] == "cancelled"


# --- authorization and personal data -------------------------------------------------------------


def test_another_employees_lead_is_404_everywhere(store, clerk):
    colleague = EmployeeFactory(home_location=store)
    lead = manual_lead(as_staff(clerk))
    follow_up = as_staff(clerk).post(f"leads/{lead['id']}/follow-ups", {"due_on": tomorrow(), "kind": "call"}).json()
    client = as_staff(colleague)

    answers = [
        client.get(f"leads/{lead['id']}"),
        patch(client, f"leads/{lead['id']}", {"name": "x"}),
        client.post(f"leads/{lead['id']}/notes", {"body": "x"}),
        put(client, f"leads/{lead['id']}/tags", {"tags": ["x"]}),
        client.post(f"leads/{lead['id']}/follow-ups", {"due_on": tomorrow(), "kind": "call"}),
        client.post(f"leads/follow-ups/{follow_up['id']}/complete", {}),
        client.post(f"leads/follow-ups/{follow_up['id']}/cancel", {}),
    ]

    assert [a.status_code for a in answers] == [404] * 7
    assert client.get("leads").json()["results"] == []
    assert LeadNote.objects.count() == 0 and LeadTag.objects.count() == 0
    assert FollowUp.objects.get().state == "open" and Lead.objects.get().name == "王先生"


def test_members_and_anonymous_callers_see_no_leads(clerk, member):
    manual_lead(as_staff(clerk))

    assert as_member(member).get("leads").status_code == 403
    assert ApiClient().get("leads").status_code == 401
    assert as_member(member).post("leads", {"phone": "13900139000"}).status_code == 403
    assert Lead.objects.count() == 1


def test_the_owner_sees_the_full_phone_the_manager_a_masked_one(store, clerk):
    from o2o.leads.selectors import visible_phone

    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    lead = manual_lead(as_staff(clerk), phone="13800138000")

    row = Lead.objects.get(pk=lead["id"])
    assert lead["phone"] == "+8613800138000"
    assert visible_phone(clerk, row) == "+8613800138000"
    assert visible_phone(manager, row) == "+86138****8000"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("leads", {"phone": "12345"}),
        ("leads", {"phone": "not a phone"}),
        ("leads", {}),
        ("leads", {"member_id": -1}),
        ("leads", {"member_id": "abc"}),
        ("leads", {"phone": "13800138000", "name": "x" * 101}),
    ],
)
def test_bad_lead_input_is_4xx_and_writes_nothing(clerk, path, body):
    response = as_staff(clerk).post(path, body)

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"due_on": "2000-01-01", "kind": "call"},
        {"due_on": "tomorrow", "kind": "call"},
        {"due_on": "2099-01-01", "kind": "dance"},
        {"due_on": "2099-01-01", "kind": "call", "note": "x" * 501},
    ],
)
def test_bad_follow_up_input_is_4xx_and_writes_nothing(clerk, body):
    client = as_staff(clerk)
    lead = manual_lead(client)

    response = client.post(f"leads/{lead['id']}/follow-ups", body)

    assert 400 <= response.status_code < 500
    assert FollowUp.objects.count() == 0


def test_bad_notes_tags_and_cursor_are_4xx(clerk):
    client = as_staff(clerk)
    lead = manual_lead(client)

    blank = client.post(f"leads/{lead['id']}/notes", {"body": "   "})
    long_tag = put(client, f"leads/{lead['id']}/tags", {"tags": ["x" * 31]})
    too_many = put(client, f"leads/{lead['id']}/tags", {"tags": [str(i) for i in range(21)]})
    cursor = client.get("leads", cursor="cD1hYmM=")

    assert [blank.status_code, long_tag.status_code, too_many.status_code, cursor.status_code] == [422, 422, 422, 400]
    assert LeadNote.objects.count() == 0 and LeadTag.objects.count() == 0
