"""Ticket races on PostgreSQL with real threads: two agents claiming one ticket, tickets opened at
once never exceeding an agent's max_open_tickets, two first messages acknowledged once, a retried
"send" opening one ticket. Run with -s for figures."""

import time
from collections import Counter
from functools import partial
from importlib import import_module

import pytest

from o2o.access.actors import actor_for_member, actor_for_user
from o2o.core.errors import DomainError, ErrorCode
from o2o.service import assignment, services
from o2o.service.models import AgentPresence, Ticket, TicketEvent, TicketMessage
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _sla_policies():
    """The policies the migration seeds (a transactional test's flush empties the table after it)."""
    from django.apps import apps

    import_module("o2o.service.migrations.0002_default_sla_policies").seed(apps, None)


def _agent(**presence):
    employee = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    if presence:
        AgentPresence.objects.create(employee=employee, available=True, **presence)
    return employee


def _chat(member, key=None):
    request = services.TicketRequest(kind="inquiry", subject="在吗", body="订单什么时候到?")
    return services.open_ticket(actor=actor_for_member(member), request=request, idempotency_key=key)


def test_two_agents_claiming_one_ticket_one_gets_it_the_other_a_409():
    for _ in range(5):  # five rounds, each a fresh ticket and two fresh agents
        ticket = _chat(MemberFactory())
        first, second = _agent(), _agent()

        outcomes = run_together([
            partial(assignment.claim, actor=actor_for_user(first.user), ticket_id=ticket.pk),
            partial(assignment.claim, actor=actor_for_user(second.user), ticket_id=ticket.pk),
        ])  # fmt: skip

        errors = [o.error for o in outcomes if o.error is not None]
        assert len(errors) == 1
        assert isinstance(errors[0], DomainError) and errors[0].code == ErrorCode.CONFLICT
        ticket.refresh_from_db()
        assert ticket.state == "open" and ticket.assignee_id in (first.pk, second.pk)
        assert TicketEvent.objects.filter(ticket=ticket, kind="assigned").count() == 1


def test_twenty_tickets_opened_at_once_never_exceed_an_agents_capacity():
    agents = [_agent(max_open_tickets=3) for _ in range(3)]
    members = [MemberFactory() for _ in range(20)]
    started = time.perf_counter()

    outcomes = run_together([partial(_chat, member) for member in members])

    elapsed = time.perf_counter() - started
    assert [o.error for o in outcomes] == [None] * 20
    load = Counter(Ticket.objects.filter(state="open").values_list("assignee_id", flat=True))
    assert load == {agent.pk: 3 for agent in agents}
    assert Ticket.objects.filter(state="new", assignee__isnull=True).count() == 11
    print(f"\n20 tickets opened at once, 3 agents x 3 places: 9 assigned (3 each), 11 queued, {elapsed:.2f}s")


def test_the_periodic_job_twice_at_once_fills_places_once():
    tickets = [_chat(MemberFactory()) for _ in range(8)]
    agents = [_agent(max_open_tickets=2) for _ in range(2)]

    outcomes = run_together([assignment.assign_waiting_tickets, assignment.assign_waiting_tickets])

    assert [o.error for o in outcomes] == [None, None]
    assert sum(o.value for o in outcomes) == 4
    opened = Ticket.objects.filter(pk__in=[t.pk for t in tickets], state="open")
    load = Counter(opened.values_list("assignee_id", flat=True))
    assert load == {agent.pk: 2 for agent in agents}


def test_two_first_messages_at_once_are_acknowledged_once():
    for _ in range(5):
        member = MemberFactory()
        cs = _agent()
        request = services.TicketRequest(kind="inquiry", subject="来电", body="客户来电", channel="phone",
                                         member_id=member.pk)  # fmt: skip
        ticket = services.open_ticket(actor=actor_for_user(cs.user), request=request)
        actor = actor_for_member(member)

        outcomes = run_together([
            partial(services.post_customer_message, actor=actor, ticket_id=ticket.pk, body="第一条"),
            partial(services.post_customer_message, actor=actor, ticket_id=ticket.pk, body="第二条"),
        ])  # fmt: skip

        assert [o.error for o in outcomes] == [None, None]
        assert TicketMessage.objects.filter(ticket=ticket, author_kind="system").count() == 1
        assert TicketEvent.objects.filter(ticket=ticket, kind="acknowledged").count() == 1


def test_ten_retries_of_one_send_at_once_open_one_ticket():
    member = MemberFactory()

    outcomes = run_together([partial(_chat, member, "send-1") for _ in range(10)])

    assert [o.error for o in outcomes] == [None] * 10
    assert len({o.value.pk for o in outcomes}) == 1
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.filter(author_kind="system").count() == 1
