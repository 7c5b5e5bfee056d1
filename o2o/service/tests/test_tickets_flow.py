"""The ticket state machine through the API: assignment, pause and resume with a frozen clock,
escalation to a store and back, resolution, confirmation, reopening, the timeout close."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.core import events
from o2o.service import assignment, services
from o2o.service.models import AgentPresence, BusinessHours, Ticket, TicketEvent
from o2o.staff.models import Role, Team
from o2o.stores.models import Location
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory

from .test_tickets import T0, agent, available, open_chat, staff_call

pytestmark = pytest.mark.django_db


def _state(ticket_id):
    return Ticket.objects.values_list("state", "assignee_id").get(pk=ticket_id)


# --- assignment --------------------------------------------------------------------------------------


def test_a_new_ticket_goes_to_the_available_agent_with_the_fewest_open_tickets():
    busy, idle, away = agent(), agent(), agent()
    for _ in range(2):
        staff_call(busy, f"service/tickets/{open_chat(MemberFactory())['id']}/claim")  # busy holds 2 (claimed)
    available(busy, last=T0 - timedelta(hours=2))  # longest without an assignment, but the most load
    available(idle, last=T0 - timedelta(minutes=1))
    AgentPresence.objects.create(employee=away, available=False)

    opened = open_chat(MemberFactory())

    assert _state(opened["id"]) == ("open", idle.pk)
    event = TicketEvent.objects.get(ticket_id=opened["id"], kind="assigned")
    assert event.detail["how"] == "least_load"


def test_round_robin_takes_the_agent_longest_without_a_ticket(settings):
    settings.O2O_SERVICE_ASSIGNMENT = "round_robin"
    first, second = agent(), agent()
    available(first, last=T0 - timedelta(hours=1))
    available(second, last=T0 - timedelta(hours=3))

    a, b, c = (open_chat(MemberFactory())["id"] for _ in range(3))

    assert [_state(t)[1] for t in (a, b, c)] == [second.pk, first.pk, second.pk]


def test_nobody_available_leaves_it_new_until_the_periodic_job_finds_someone():
    cs = agent()
    opened = open_chat(MemberFactory())
    assert _state(opened["id"]) == ("new", None)

    as_staff(cs)._call("put", "service/presence", {"available": True, "max_open_tickets": 1})
    other = open_chat(MemberFactory())  # takes the agent's only place at once
    assert assignment.assign_waiting_tickets() == 0

    staff_call(cs, f"service/tickets/{other['id']}/resolve", {"summary": "Done"})
    assert assignment.assign_waiting_tickets() == 1
    assert _state(opened["id"]) == ("open", cs.pk)


def test_an_agent_at_capacity_gets_nothing_more():
    cs = agent()
    available(cs, capacity=2)

    ids = [open_chat(MemberFactory())["id"] for _ in range(3)]

    assert [_state(t) for t in ids] == [("open", cs.pk), ("open", cs.pk), ("new", None)]


def test_presence_rejects_bad_capacities_and_non_agents():
    cs = agent()
    bad = [as_staff(cs)._call("put", "service/presence", {"available": True, "max_open_tickets": n})
           for n in (0, 201, "5", 1.5)]  # fmt: skip
    clerk = as_staff(EmployeeFactory(role=Role.CLERK))._call("put", "service/presence", {"available": True})

    assert [r.status_code for r in bad] == [422, 422, 422, 422]
    assert clerk.status_code == 403
    assert AgentPresence.objects.count() == 0


def test_the_teams_lead_and_hq_reassign_another_agent_may_not():
    lead, cs, other, hq = agent(), agent(), agent(), EmployeeFactory(role=Role.HQ, home_location=None)
    Team.objects.create(name="线上", kind=Team.Kind.ONLINE, lead=lead)
    ticket_id = open_chat(MemberFactory())["id"]
    staff_call(cs, f"service/tickets/{ticket_id}/claim")

    refused = staff_call(other, f"service/tickets/{ticket_id}/assign", {"employee_id": other.pk})
    by_lead = staff_call(lead, f"service/tickets/{ticket_id}/assign", {"employee_id": other.pk})
    same = staff_call(hq, f"service/tickets/{ticket_id}/assign", {"employee_id": other.pk})
    clerk = staff_call(hq, f"service/tickets/{ticket_id}/assign", {"employee_id": EmployeeFactory().pk})
    by_hq = staff_call(hq, f"service/tickets/{ticket_id}/assign", {"employee_id": cs.pk})

    assert [r.status_code for r in (refused, by_lead, same, clerk, by_hq)] == [403, 200, 409, 422, 200]
    assert _state(ticket_id) == ("open", cs.pk)
    assigned = TicketEvent.objects.filter(ticket_id=ticket_id, kind="assigned").order_by("id")
    assert [(e.detail["from"], e.detail["to"], e.detail["employee_id"]) for e in assigned] == [
        ("new", "open", cs.pk), ("open", "open", other.pk), ("open", "open", cs.pk),
    ]  # fmt: skip


def test_a_claimed_ticket_cannot_be_claimed_again():
    first, second = agent(), agent()
    ticket_id = open_chat(MemberFactory())["id"]

    one = staff_call(first, f"service/tickets/{ticket_id}/claim")
    two = staff_call(second, f"service/tickets/{ticket_id}/claim")

    assert (one.status_code, two.status_code) == (200, 409)
    assert problem_code(two) == "conflict"
    assert _state(ticket_id) == ("open", first.pk)


# --- pause and resume, with the SLA clock ------------------------------------------------------------


def test_the_customers_answer_resumes_a_waiting_ticket_and_moves_the_due_times_by_business_minutes():
    # given: the online team works 09:00-18:00 (Asia/Shanghai) on weekdays; a ticket at 10:00 local
    team = Team.objects.create(name="线上", kind=Team.Kind.ONLINE)
    for weekday in range(5):
        BusinessHours.objects.create(team=team, weekday=weekday, opens="09:00", closes="18:00")
    member, cs = MemberFactory(), agent()
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    with time_machine.travel(start, tick=False):
        ticket_id = open_chat(member, kind="complaint")["id"]
        staff_call(cs, f"service/tickets/{ticket_id}/claim")
    before = Ticket.objects.get(pk=ticket_id)
    assert before.first_response_due_at == start + timedelta(minutes=5)

    # when: the agent waits on the customer at 10:02; the customer answers at 17:00 (6h58 later)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        waiting = staff_call(cs, f"service/tickets/{ticket_id}/wait")
    with time_machine.travel(start + timedelta(hours=7), tick=False):
        answered = as_member(member).post(f"service/my/tickets/{ticket_id}/messages", {"body": "Photo attached"})

    # then: open again, both due times moved on by 6h58 of business time, one acknowledgement only
    assert (waiting.status_code, waiting.json()["state"], answered.status_code) == (200, "waiting_on_customer", 201)
    after = Ticket.objects.get(pk=ticket_id)
    assert (after.state, after.paused_at) == ("open", None)
    pause = timedelta(hours=6, minutes=58)
    assert after.first_response_due_at == before.first_response_due_at + pause
    # resolution: 1440 business minutes (8 h + 9 h + 7 h) from Monday 10:00 is Wednesday 16:00;
    # plus 6h58: 2 h on Wednesday, 4h58 on Thursday -> Thursday 13:58
    assert before.resolution_due_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert after.resolution_due_at == datetime(2026, 3, 5, 5, 58, tzinfo=UTC)
    assert TicketEvent.objects.filter(ticket_id=ticket_id, kind="acknowledged").count() == 1
    assert TicketEvent.objects.get(ticket_id=ticket_id, kind="resumed").detail["by"] == "customer"


def test_a_pause_over_the_night_counts_business_minutes_only():
    team = Team.objects.create(name="线上", kind=Team.Kind.ONLINE)
    for weekday in range(5):
        BusinessHours.objects.create(team=team, weekday=weekday, opens="09:00", closes="18:00")
    cs = agent()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 17:00 local
    with time_machine.travel(start, tick=False):
        ticket_id = open_chat(MemberFactory())["id"]
        staff_call(cs, f"service/tickets/{ticket_id}/messages", {"body": "Which size?"})
        staff_call(cs, f"service/tickets/{ticket_id}/wait")
    due = Ticket.objects.get(pk=ticket_id).resolution_due_at
    with time_machine.travel(start + timedelta(hours=17), tick=False):  # Tuesday 10:00 local
        resumed = staff_call(cs, f"service/tickets/{ticket_id}/resume")

    assert resumed.status_code == 200
    # paused 17:00 Monday to 10:00 Tuesday: 1 h Monday + 1 h Tuesday of business time
    assert Ticket.objects.get(pk=ticket_id).resolution_due_at == due + timedelta(hours=2)


def test_illegal_moves_are_409_and_change_nothing():
    member, cs = MemberFactory(), agent()
    ticket_id = open_chat(member)["id"]

    resume_new = staff_call(cs, f"service/tickets/{ticket_id}/resume")
    wait_new = staff_call(cs, f"service/tickets/{ticket_id}/wait")
    resolve_new = staff_call(cs, f"service/tickets/{ticket_id}/resolve", {"summary": "x"})
    confirm_new = as_member(member).post(f"service/my/tickets/{ticket_id}/confirm", {})
    close_inquiry = staff_call(cs, f"service/tickets/{ticket_id}/close")

    assert [r.status_code for r in (resume_new, wait_new, resolve_new, confirm_new, close_inquiry)] == [409] * 5
    assert {problem_code(r) for r in (resume_new, wait_new, resolve_new, confirm_new, close_inquiry)} == {"conflict"}
    assert _state(ticket_id) == ("new", None)
    assert list(TicketEvent.objects.filter(ticket_id=ticket_id).values_list("kind", flat=True)) == [
        "created",
        "acknowledged",
    ]


# --- escalation ------------------------------------------------------------------------------------------


def _escalated(store, *, member=None, cs=None):
    member, cs = member or MemberFactory(), cs or agent()
    ticket_id = open_chat(member, kind="after_sale", subject="Leaking bottle")["id"]
    staff_call(cs, f"service/tickets/{ticket_id}/claim")
    response = staff_call(cs, f"service/tickets/{ticket_id}/escalate", {"location_id": store.pk, "reason": "Swap it"})
    assert response.status_code == 200, response.content
    return ticket_id


def test_a_store_sees_and_works_only_its_own_escalations():
    store, elsewhere = LocationFactory(), LocationFactory()
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    stranger = EmployeeFactory(role=Role.CLERK, home_location=elsewhere)
    mine, theirs = _escalated(store), _escalated(elsewhere)

    listed = as_staff(manager).get("service/escalations").json()["results"]
    peek = as_staff(stranger).get(f"service/escalations/{mine}")
    write = staff_call(stranger, f"service/escalations/{mine}/messages", {"body": "hi"})
    cs_on_store_page = as_staff(agent()).get("service/escalations")
    reply = staff_call(manager, f"service/escalations/{mine}/messages", {"body": "Bring it to the store"})

    assert [t["id"] for t in listed] == [mine]
    assert listed[0]["escalation_reason"] == "Swap it"
    assert (peek.status_code, write.status_code, cs_on_store_page.status_code, reply.status_code) == (
        404, 404, 403, 201,
    )  # fmt: skip
    assert as_staff(manager).get(f"service/escalations/{theirs}").status_code == 404


def test_escalating_to_an_unknown_store_is_404_and_to_a_closed_store_or_warehouse_422():
    cs = agent()
    ticket_id = open_chat(MemberFactory())["id"]
    closed = LocationFactory(is_active=False)
    warehouse = LocationFactory(kind=Location.Kind.WAREHOUSE)

    unknown = staff_call(cs, f"service/tickets/{ticket_id}/escalate", {"location_id": 999999, "reason": "x"})
    shut = staff_call(cs, f"service/tickets/{ticket_id}/escalate", {"location_id": closed.pk, "reason": "x"})
    stock = staff_call(cs, f"service/tickets/{ticket_id}/escalate", {"location_id": warehouse.pk, "reason": "x"})
    no_reason = staff_call(cs, f"service/tickets/{ticket_id}/escalate", {"location_id": closed.pk, "reason": ""})

    assert [r.status_code for r in (unknown, shut, stock, no_reason)] == [404, 422, 422, 422]
    assert _state(ticket_id) == ("new", None)


def test_the_store_hands_it_back_to_its_agent_or_to_the_queue():
    store = LocationFactory()
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    cs = agent()
    with_agent = _escalated(store, cs=cs)
    queued = open_chat(MemberFactory())["id"]
    staff_call(cs, f"service/tickets/{queued}/escalate", {"location_id": store.pk, "reason": "Store knows"})

    back = staff_call(clerk, f"service/escalations/{with_agent}/return", {"note": "Online can refund"})
    back_new = staff_call(clerk, f"service/escalations/{queued}/return", {})

    assert (back.status_code, back_new.status_code) == (200, 200)
    assert _state(with_agent) == ("open", cs.pk)
    assert _state(queued) == ("new", None)
    assert Ticket.objects.filter(escalated_to__isnull=False).count() == 0
    assert as_staff(clerk).get(f"service/escalations/{with_agent}").status_code == 404


# --- resolution, confirmation, closing -----------------------------------------------------------------


def test_a_complaint_needs_a_promise_before_it_is_resolved():
    cs = agent()
    ticket_id = open_chat(MemberFactory(), kind="complaint")["id"]
    staff_call(cs, f"service/tickets/{ticket_id}/claim")

    refused = staff_call(cs, f"service/tickets/{ticket_id}/resolve", {"summary": "Sorry"})
    Ticket.objects.filter(pk=ticket_id).update(promised_solution="A new bottle", promised_by=T0)
    resolved = staff_call(cs, f"service/tickets/{ticket_id}/resolve", {"summary": "Sent a new bottle"})

    assert refused.status_code == 409
    assert "promised" in refused.json()["detail"]
    assert resolved.status_code == 200
    assert resolved.json()["state"] == "resolved"


def test_the_customer_confirms_with_a_score_and_the_close_is_published(monkeypatch):
    closed = []
    monkeypatch.setitem(events._handlers, events.TICKET_CLOSED, [lambda ticket: closed.append(ticket.pk)])
    member, cs = MemberFactory(), agent()
    ticket_id = open_chat(member)["id"]
    staff_call(cs, f"service/tickets/{ticket_id}/claim")
    staff_call(cs, f"service/tickets/{ticket_id}/resolve", {"summary": "Refunded"})

    bad = [as_member(member).post(f"service/my/tickets/{ticket_id}/confirm", {"satisfaction": s}) for s in (0, 6, "5")]
    ok = as_member(member).post(f"service/my/tickets/{ticket_id}/confirm", {"satisfaction": 5})
    again = as_member(member).post(f"service/my/tickets/{ticket_id}/confirm", {"satisfaction": 4})

    assert [r.status_code for r in bad] == [422, 422, 422]
    assert (ok.status_code, again.status_code) == (200, 409)
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.state, ticket.close_reason, ticket.satisfaction) == ("closed", "confirmed", 5)
    assert closed == [ticket_id]


def test_the_customer_reopens_and_the_agent_has_it_again():
    member, cs = MemberFactory(), agent()
    ticket_id = open_chat(member)["id"]
    staff_call(cs, f"service/tickets/{ticket_id}/claim")
    staff_call(cs, f"service/tickets/{ticket_id}/resolve", {"summary": "Try restarting"})

    reopened = as_member(member).post(f"service/my/tickets/{ticket_id}/reopen", {"body": "Still broken"})

    assert reopened.status_code == 200
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.state, ticket.assignee_id, ticket.resolved_at) == ("open", cs.pk, None)
    assert ticket.messages.order_by("id").last().body == "Still broken"


def test_resolved_tickets_close_by_themselves_after_the_confirmation_days(monkeypatch):
    closed = []
    monkeypatch.setitem(events._handlers, events.TICKET_CLOSED, [lambda ticket: closed.append(ticket.pk)])
    cs = agent()
    ids = []
    for day in (0, 2):
        with time_machine.travel(T0 + timedelta(days=day), tick=False):
            ticket_id = open_chat(MemberFactory())["id"]
            staff_call(cs, f"service/tickets/{ticket_id}/claim")
            staff_call(cs, f"service/tickets/{ticket_id}/resolve", {"summary": "Done"})
            ids.append(ticket_id)

    with time_machine.travel(T0 + timedelta(days=3, minutes=1), tick=False):
        first = services.close_unconfirmed()
        second = services.close_unconfirmed()

    assert (first, second) == (1, 0)
    assert Ticket.objects.get(pk=ids[0]).close_reason == "timeout"
    assert Ticket.objects.get(pk=ids[1]).state == "resolved"
    assert closed == [ids[0]]


def test_praise_is_closed_at_once_even_after_an_agent_took_it():
    cs = agent()
    available(cs)
    ticket_id = open_chat(MemberFactory(), kind="praise", subject="Great clerk")["id"]
    assert _state(ticket_id) == ("open", cs.pk)

    response = staff_call(cs, f"service/tickets/{ticket_id}/close", {"note": "Passed on to the store"})

    assert response.status_code == 200
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.state, ticket.close_reason) == ("closed", "no_action")


def test_reclassifying_restarts_the_clock_from_creation():
    cs = agent()
    with time_machine.travel(T0, tick=False):
        ticket_id = open_chat(MemberFactory())["id"]
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        response = staff_call(cs, f"service/tickets/{ticket_id}/classify", {"kind": "complaint", "priority": "urgent"})
        bad = staff_call(cs, f"service/tickets/{ticket_id}/classify", {"priority": "whenever"})

    assert (response.status_code, bad.status_code) == (200, 422)
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.kind, ticket.priority) == ("complaint", "urgent")
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == (T0 + timedelta(minutes=3),
                                                                        T0 + timedelta(minutes=240))  # fmt: skip


# --- the inbox ---------------------------------------------------------------------------------------------


def test_the_inbox_orders_by_the_running_due_time_and_filters():
    cs, other = agent(), agent()
    with time_machine.travel(T0, tick=False):
        answered = open_chat(MemberFactory())["id"]  # first response given: resolution due T0+240
        staff_call(cs, f"service/tickets/{answered}/messages", {"body": "Hi"})
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        late = open_chat(MemberFactory(), subject="Broken cap")["id"]  # due T0+15
        urgent = open_chat(MemberFactory(), kind="complaint")["id"]  # due T0+15
        staff_call(other, f"service/tickets/{urgent}/claim")
    with time_machine.travel(T0 + timedelta(minutes=13), tick=False):
        client = as_staff(cs)
        everything = client.get("service/tickets").json()["results"]
        mine = client.get("service/tickets", mine="true").json()["results"]
        unassigned = client.get("service/tickets", unassigned="true").json()["results"]
        soon = client.get("service/tickets", sla="due_soon").json()["results"]
        found = client.get("service/tickets", q="broken").json()["results"]
        complaints = client.get("service/tickets", kind="complaint").json()["results"]
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        breached = as_staff(cs).get("service/tickets", sla="breached").json()["results"]

    assert [t["id"] for t in everything] == [late, urgent, answered]
    assert [t["sla_state"] for t in everything] == ["due_soon", "due_soon", "on_track"]
    assert [t["id"] for t in mine] == [answered]
    assert [t["id"] for t in unassigned] == [late]
    assert [t["id"] for t in soon] == [late, urgent]
    assert [t["id"] for t in found] == [late]
    assert [t["id"] for t in complaints] == [urgent]
    assert [t["id"] for t in breached] == [late, urgent]


@pytest.mark.parametrize("params", [{"state": "lost"}, {"sla": "late"}, {"team_id": 0}, {"cursor": "zzz"},
                                    {"kind": "x"}, {"q": "x" * 101}])  # fmt: skip
def test_bad_inbox_filters_are_4xx(params):
    response = as_staff(agent()).get("service/tickets", **params)

    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_an_inbox_page_costs_the_same_queries_whatever_its_length():
    cs = agent()
    Team.objects.create(name="线上", kind=Team.Kind.ONLINE)
    store = LocationFactory()
    open_chat(MemberFactory())
    client = as_staff(cs)
    client.get("service/tickets")  # warm up: the session, the permission groups
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("service/tickets").json()["results"]) == 1
    for _ in range(12):
        ticket_id = open_chat(MemberFactory())["id"]
        staff_call(cs, f"service/tickets/{ticket_id}/escalate", {"location_id": store.pk, "reason": "Store"})
    with CaptureQueriesContext(connection) as thirteen:
        assert len(client.get("service/tickets").json()["results"]) == 13

    assert len(thirteen) == len(one)
