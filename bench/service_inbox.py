"""Customer service inbox benchmark: --tickets open tickets (100,000 by default) over 3 online teams
and 50 agents, then the inbox's first page with each ticket's SLA state (`service.selectors.inbox`,
as the desk shows it: the page's rows and the count for the pager), timed for: one agent's own
tickets, one team's, the unassigned queue, the breached ones, and everything.

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/o2o_bench_service \\
        .venv/bin/python bench/service_inbox.py [--tickets 100000] [--calls 200]

Tickets go in by one `INSERT ... SELECT generate_series`. It creates the database if missing,
migrates it, and WIPES it (flush) on every run, so it is re-runnable. Prints figures only.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.common import nearest_rank, prepare_standalone_database  # noqa: E402

AGENTS, TEAMS, PAGE_SIZE = 50, 3, 25
MAX_TICKETS = 2_000_000


def seed(*, tickets: int) -> None:
    """Teams, agents and stores by the ORM; tickets by SQL. Of the tickets: 10% new (nobody has
    them), 70% open with an agent (half answered), 10% waiting on the customer, 10% escalated to a
    store; opened over the last 3 days, so many are past their first-response or resolution time."""
    from django.db import connection

    from o2o.service.defaults import default_policies
    from o2o.service.models import AgentPresence, SlaPolicy
    from o2o.staff.models import Role, Team
    from o2o.testing.factories import EmployeeFactory, LocationFactory

    SlaPolicy.objects.bulk_create([SlaPolicy(**row) for row in default_policies()])  # flush emptied them
    stores = [LocationFactory() for _ in range(10)]
    teams = [Team.objects.create(name=f"Online {n}", kind=Team.Kind.ONLINE) for n in range(TEAMS)]
    agents = [EmployeeFactory(role=Role.CS_AGENT, home_location=None, team=teams[n % TEAMS]) for n in range(AGENTS)]
    AgentPresence.objects.bulk_create([AgentPresence(employee=a, available=True) for a in agents])
    params = {
        "tickets": tickets, "first_agent": min(a.pk for a in agents), "agents": AGENTS,
        "first_team": min(t.pk for t in teams), "teams": TEAMS,
        "first_store": min(s.pk for s in stores), "stores": len(stores),
    }  # fmt: skip
    assert max(a.pk for a in agents) - params["first_agent"] == AGENTS - 1  # the SQL counts on consecutive ids
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # g mod 10: 0 new, 1 waiting, 2 escalated, otherwise open (answered when g is even)
        cursor.execute("""
            INSERT INTO service_ticket (number, channel, kind, priority, state, subject, phone, team_id, assignee_id,
                escalated_to_id, escalation_reason, promised_solution, created_at, first_response_due_at,
                first_response_at, resolution_due_at, paused_at, close_reason)
            SELECT 'B' || lpad(g::text, 7, '0'), 'chat',
                   (ARRAY['inquiry', 'complaint', 'after_sale', 'suggestion', 'praise'])[1 + g %% 5],
                   (ARRAY['normal', 'normal', 'high', 'low', 'urgent'])[1 + (g / 5) %% 5],
                   CASE g %% 10 WHEN 0 THEN 'new' WHEN 1 THEN 'waiting_on_customer' WHEN 2 THEN 'escalated'
                        ELSE 'open' END,
                   '订单问题 ' || g, '+8613' || lpad((g %% 1000000000)::text, 9, '0'),
                   %(first_team)s + g %% %(teams)s,
                   CASE WHEN g %% 10 = 0 THEN NULL ELSE %(first_agent)s + g %% %(agents)s END,
                   CASE WHEN g %% 10 = 2 THEN %(first_store)s + g %% %(stores)s END,
                   CASE WHEN g %% 10 = 2 THEN '需要门店处理' ELSE '' END, '',
                   t, t + interval '5 minutes',
                   CASE WHEN g %% 10 > 2 AND g %% 2 = 0 THEN t + interval '3 minutes' END,
                   t + interval '240 minutes',
                   CASE WHEN g %% 10 = 1 THEN t + interval '20 minutes' END, ''
            FROM generate_series(1, %(tickets)s) g,
                 LATERAL (SELECT now() - make_interval(secs => (g * 259200.0 / %(tickets)s)) AS t) at
        """, params)  # fmt: skip
        cursor.execute("ANALYZE service_ticket")
    print(f"seeded {tickets:,} open tickets in {time.perf_counter() - started:.1f} s "
          f"({AGENTS} agents, {TEAMS} teams)")  # fmt: skip


def time_inbox(calls: int) -> None:
    from django.core.paginator import Paginator
    from django.db import connection, reset_queries

    from o2o.access.actors import actor_for_user
    from o2o.service import selectors
    from o2o.service.models import Ticket
    from o2o.staff.models import Employee, Role, Team

    agents = list(Employee.objects.filter(role=Role.CS_AGENT).select_related("user").order_by("pk"))
    teams = list(Team.objects.order_by("pk"))
    cases = {
        "my tickets": lambda n: ({"mine": True}, agents[n % len(agents)]),
        "a team's": lambda n: ({"team_id": teams[n % len(teams)].pk}, agents[0]),
        "unassigned": lambda n: ({"unassigned": True}, agents[0]),
        "breached": lambda n: ({"sla_filter": selectors.BREACHED}, agents[0]),
        "everything": lambda n: ({}, agents[0]),
    }
    actors = {a.pk: actor_for_user(a.user) for a in agents}
    for label, case in cases.items():
        samples, queries, found = [], [], 0
        for n in range(calls):
            filters, agent = case(n)
            reset_queries()
            started = time.perf_counter()
            page = Paginator(selectors.inbox(actor=actors[agent.pk], **filters), PAGE_SIZE).get_page(1)
            rows: list[Ticket] = list(page.object_list)
            states = {t.sla_state for t in rows}
            samples.append(time.perf_counter() - started)
            queries.append(len(connection.queries))
            found = page.paginator.count
        assert states <= {"met", "on_track", "due_soon", "breached"}, states
        p50, p99 = statistics.median(samples) * 1000, nearest_rank(samples, 99) * 1000
        print(f"  {label:<11} {found:>8,} tickets; first page of {PAGE_SIZE}: p50 {p50:6.1f} ms, "
              f"p99 {p99:6.1f} ms; queries {max(queries)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    if not (10 <= args.tickets <= MAX_TICKETS and 1 <= args.calls <= 5_000):
        raise SystemExit(f"--tickets 10..{MAX_TICKETS:,}, --calls 1..5000")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (e.g. .../o2o_bench_service)")
    os.environ["DEBUG"] = os.environ.get("DEBUG", "1")
    prepare_standalone_database(url)
    from django.conf import settings

    settings.DEBUG = True  # count queries per page
    seed(tickets=args.tickets)
    print(f"inbox with SLA state, {args.calls} calls each:")
    time_inbox(args.calls)


if __name__ == "__main__":
    main()
