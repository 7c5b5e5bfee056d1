"""The SLA sweep: warnings before a due time, breaches after it, each once, with who had the ticket."""

from datetime import timedelta

import pytest
import time_machine

from o2o.core.models import OutboxMessage
from o2o.service.models import SlaAlert, Ticket
from o2o.service.sweeps import Recorded, sweep_sla
from o2o.service.tests.test_sla_clock import at, ticket
from o2o.staff.models import Role, Team
from o2o.testing.factories import EmployeeFactory
from o2o.testing.races import requires_postgres, run_together, values

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return Team.objects.create(name="Online", kind=Team.Kind.ONLINE)


@pytest.fixture
def agent(team):
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None, team=team, user__email="li.na@example.com")


def alerts() -> set[tuple]:
    return set(SlaAlert.objects.values_list("ticket_id", "target", "kind", "due_at", "at", "assignee_id", "team_id"))


def test_a_sweep_warns_before_the_due_time_and_records_the_breach_after_it(agent, team):
    now = at(1, 10)
    mine = {"state": Ticket.State.OPEN, "assignee": agent, "team": team}
    warned = ticket(**mine, first_response_due_at=at(1, 10, 2))  # normal warns 2 minutes before
    breached = ticket(team=team, first_response_due_at=at(1, 9, 59))  # nobody has it yet
    on_track = ticket(**mine, first_response_due_at=at(1, 10, 3))
    answered = dict(first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 1))
    resolution_late = ticket(**mine, **answered, resolution_due_at=at(1, 9, 30))
    # neither a ticket waiting on the customer nor a resolved one is swept
    ticket(first_response_due_at=at(1, 9, 30), resolution_due_at=at(1, 9, 40), paused_at=at(1, 9, 20))
    ticket(**answered, resolution_due_at=at(1, 9, 30), resolved_at=at(1, 9, 50))

    with time_machine.travel(now, tick=False):
        recorded = sweep_sla(now)

    assert sorted(recorded, key=lambda r: r.ticket_id) == [
        Recorded(warned.pk, "first_response", "warning"),
        Recorded(breached.pk, "first_response", "breach"),
        Recorded(resolution_late.pk, "resolution", "breach"),
    ]
    assert alerts() == {
        (warned.pk, "first_response", "warning", at(1, 10, 2), now, agent.pk, team.pk),
        (breached.pk, "first_response", "breach", at(1, 9, 59), now, None, team.pk),
        (resolution_late.pk, "resolution", "breach", at(1, 9, 30), now, agent.pk, team.pk),
    }
    assert not SlaAlert.objects.filter(ticket=on_track).exists()
    # the assignee hears once per alert, by e-mail (staff records have no phone)
    assert sorted(OutboxMessage.objects.values_list("channel", "recipient", "body")) == [
        ("email", "li.na@example.com", f"工单 {warned.number}：首次响应即将到期。"),
        ("email", "li.na@example.com", f"工单 {resolution_late.number}：解决已超时。"),
    ]


def test_a_retried_sweep_writes_nothing_twice(agent, team):
    ticket(state=Ticket.State.OPEN, assignee=agent, team=team, first_response_due_at=at(1, 10, 1))
    ticket(first_response_due_at=at(1, 9, 50), resolution_due_at=at(1, 9, 55))
    first = sweep_sla(at(1, 10))
    before, messages = alerts(), OutboxMessage.objects.count()

    again = sweep_sla(at(1, 10))
    later = sweep_sla(at(1, 10, 0) + timedelta(seconds=30))

    assert (len(first), again, later) == (3, [], [])
    assert alerts() == before
    assert OutboxMessage.objects.count() == messages == 1


def test_the_breach_follows_the_warning_once_the_due_time_passes(agent, team):
    t = ticket(state=Ticket.State.OPEN, assignee=agent, team=team, first_response_due_at=at(1, 10, 1))
    sweep_sla(at(1, 10))

    recorded = sweep_sla(at(1, 10, 2))

    assert recorded == [Recorded(t.pk, "first_response", "breach")]
    assert sorted(SlaAlert.objects.values_list("kind", "at")) == [("breach", at(1, 10, 2)), ("warning", at(1, 10))]


def test_the_alert_keeps_who_had_the_ticket_at_the_time(agent, team):
    t = ticket(state=Ticket.State.OPEN, assignee=agent, team=team, first_response_due_at=at(1, 9, 59))
    sweep_sla(at(1, 10))
    other = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    Ticket.objects.filter(pk=t.pk).update(assignee=other)

    sweep_sla(at(1, 10, 1))

    assert list(SlaAlert.objects.values_list("assignee_id", flat=True)) == [agent.pk]


def test_a_paused_ticket_is_swept_once_it_resumes_and_is_still_late():
    t = ticket(first_response_due_at=at(1, 9, 50), paused_at=at(1, 9, 40))
    assert sweep_sla(at(1, 10)) == []

    Ticket.objects.filter(pk=t.pk).update(state=Ticket.State.NEW, paused_at=None)

    assert sweep_sla(at(1, 10)) == [Recorded(t.pk, "first_response", "breach")]


def test_the_sweep_costs_the_same_queries_for_many_tickets(django_assert_num_queries, team):
    quiet = EmployeeFactory(role=Role.CS_AGENT, home_location=None, team=team)  # no e-mail: no outbox rows
    mine = {"state": Ticket.State.OPEN, "assignee": quiet, "team": team}

    def overdue(count: int) -> None:
        for _ in range(count):
            ticket(**mine, first_response_due_at=at(1, 9), resolution_due_at=at(1, 9, 30))

    overdue(2)
    # a savepoint and its release, 2 policy reads, 4 candidate queries, 2 inserts (one per target
    # found overdue), 1 e-mail lookup
    with django_assert_num_queries(11):
        assert len(sweep_sla(at(1, 10))) == 4
    overdue(40)
    with django_assert_num_queries(11):
        assert len(sweep_sla(at(1, 10, 1))) == 80


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_each_alert_once(agent, team):
    mine = {"state": Ticket.State.OPEN, "assignee": agent, "team": team}
    tickets = [
        ticket(**mine, first_response_due_at=at(1, 9, m % 60), resolution_due_at=at(1, 9, 59)) for m in range(60)
    ]
    tickets += [ticket(**mine, first_response_due_at=at(1, 10, 1)) for _ in range(20)]
    now = at(1, 10)

    outcomes = run_together([lambda: sweep_sla(now), lambda: sweep_sla(now)])

    recorded = values(outcomes)
    assert len(recorded) == 2, outcomes
    print(f"two sweeps at once recorded {len(recorded[0])} + {len(recorded[1])} alerts")
    together = recorded[0] + recorded[1]
    assert len(together) == len(set(together)) == 60 * 2 + 20
    assert SlaAlert.objects.count() == 140
    assert OutboxMessage.objects.count() == 140  # each alert told once, by the sweep that wrote it
    assert len(tickets) == 80


def test_the_sweep_runs_every_30_seconds():
    from o2o.core import periodic
    from o2o.service.sweeps import sweep_sla_task

    job = periodic._jobs["service_sla_sweep"]

    assert (job.task, job.every_seconds) == (sweep_sla_task, 30)
