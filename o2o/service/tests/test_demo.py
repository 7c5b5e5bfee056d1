"""The demo chain has customer service to show: CS agents with presence, 30 tickets in every state
whose rows keep the services' rules, tags and notes, follow-up visits; the same seed gives the same
tickets; the desk and the reports page open for the demo agent with the demo's figures."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from o2o.aftercare.models import FollowUpVisit
from o2o.demo.generator import generate_demo, reset_demo
from o2o.members.models import MemberNote, MemberTag
from o2o.service.models import AgentPresence, Ticket, TicketEvent, TicketState

pytestmark = pytest.mark.django_db

SMALL_END = datetime(2025, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # the run's midnight: history ends there
SMALL = {"stores": 2, "skus": 10, "members": 40, "days": 5, "orders_per_store_day": 2, "today": date(2025, 3, 10)}


def snapshot() -> list[tuple]:
    return list(
        Ticket.objects.order_by("number").values_list(
            "number", "kind", "state", "created_at", "first_response_at", "resolved_at", "satisfaction"
        )
    )


def test_the_demo_has_tickets_in_every_state_that_keep_the_rules():
    generate_demo(seed=5, **SMALL)

    tickets = Ticket.objects.all()
    assert tickets.count() == 30
    assert set(tickets.values_list("state", flat=True)) == set(TicketState.values)
    assert tickets.filter(kind="complaint").exclude(promised_solution="").exists()
    assert tickets.filter(state=TicketState.CLOSED, satisfaction__isnull=False).count() >= 3
    assert set(tickets.values_list("channel", flat=True)) >= {"chat", "phone"}
    answered = tickets.filter(first_response_at__isnull=False)
    assert all(t.created_at <= t.first_response_at for t in answered)
    assert any(t.first_response_at > t.first_response_due_at for t in answered)  # some breached
    assert any(t.first_response_at <= t.first_response_due_at for t in answered)  # some met
    assert all(t.created_at < SMALL_END for t in tickets)
    assert TicketEvent.objects.filter(kind="acknowledged").count() == 30
    assert AgentPresence.objects.filter(available=True, employee__user__username="cs1").exists()
    assert MemberTag.objects.exists() and MemberNote.objects.exists()
    assert FollowUpVisit.objects.filter(ticket__isnull=False).exists()


def test_the_same_seed_gives_the_same_tickets():
    generate_demo(seed=6, **SMALL)
    first = snapshot()
    reset_demo()
    generate_demo(seed=6, **SMALL)

    assert snapshot() == first


def test_the_demo_agent_sees_the_desk_and_the_reports():
    generate_demo(seed=7, **SMALL)
    client = Client()
    assert client.login(username="cs1", password="demo1234")

    assert client.get("/service/").status_code == 200
    response = client.get("/service/reports/?since=2025-03-01&until=2025-03-09")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-agent="') == 3  # cs1, cs2 and the unassigned queue
    assert 'data-agent="none"' in html
    assert 'id="period-errors"' not in html
