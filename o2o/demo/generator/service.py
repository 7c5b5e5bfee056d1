"""Demo customer service: two CS agents (cs1 available, cs2 away), 30 tickets over the demo members
in the last days (every type and channel; new, open, waiting, escalated to a store, resolved and
closed; some answered in time, some late, a complaint with a promised solution, a few closed with a
score), a few member tags and notes, and the follow-up visits the aftercare scheduler and the
TICKET_CLOSED handler would make, so /service/ (inbox, reports, customer 360) has something to show.

The generator runs in one transaction and the service use cases each want their own (durable), so
rows are written as they would leave them: due times from o2o.service.sla.due_times (the team's
business hours), the acknowledgement and the first-response events, visits through
aftercare.schedule_order_visits / schedule_ticket_visit. Deterministic: one seeded stream, ticket
numbers drawn from it, times counted back from the run's midnight."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from o2o.aftercare.services import schedule_order_visits, schedule_ticket_visit
from o2o.core.codes import READABLE
from o2o.demo.generator.base import Run, explicit_timestamps
from o2o.demo.generator.people import _password_hash
from o2o.members.models import Member, MemberNote, MemberTag, TagSource
from o2o.service import sla
from o2o.service.models import (
    AgentPresence,
    AuthorKind,
    CloseReason,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketState,
)
from o2o.staff.models import Employee, Role, Team
from o2o.stores.models import Location

AGENTS = (("cs1", "客服小林", True), ("cs2", "客服小周", False))
TICKETS = 30
SUBJECTS = {
    "inquiry": ["订单什么时候发货？", "自提点营业时间", "会员积分怎么用", "能开发票吗"],
    "complaint": ["配送超时两小时", "收到的商品有破损", "店员态度不好"],
    "after_sale": ["申请退货", "尺码不合适想换货", "商品有质量问题"],
    "suggestion": ["希望增加夜间配送", "小程序希望有收藏夹"],
    "praise": ["门店店员很热情", "客服处理很快"],
}
KINDS = ["inquiry", "inquiry", "complaint", "after_sale", "inquiry", "suggestion", "after_sale", "praise"]
PRIORITIES = ["normal", "normal", "high", "low", "urgent"]
# what happened to ticket i (i % 8), with two set on purpose below
PLAN = ["new", "open_fast", "open_late", "waiting", "resolved", "closed_scored", "closed_scored", "open_fast"]
TAGS = ["VIP", "投诉过", "偏好自提", "价格敏感"]
NOTES = ["来电语气着急，优先处理", "已补偿一张优惠券，下次回访确认", "喜欢周末到店自提"]


def _agents(run: Run) -> list[Employee]:
    User = get_user_model()  # noqa: N806 - the usual Django spelling
    group = Group.objects.get(name=Role.CS_AGENT.value)
    online = Team.objects.filter(kind=Team.Kind.ONLINE).order_by("pk").first()
    agents = []
    for k, (username, name, available) in enumerate(AGENTS, start=1):
        user = User.objects.create(
            username=username, password=_password_hash(), first_name=name[2:], last_name=name[:2]
        )
        user.groups.add(group)
        agent = Employee.objects.create(
            user=user, role=Role.CS_AGENT, code=f"CS{k:02d}", display_name=name, team=online
        )
        AgentPresence.objects.create(employee=agent, available=available, max_open_tickets=20)
        agents.append(agent)
    if online is not None and online.lead_id is None:
        Team.objects.filter(pk=online.pk).update(lead=agents[0])
    return agents


def _number(rng) -> str:
    return "".join(rng.choice(READABLE) for _ in range(8))


def create_service(run: Run) -> int:
    rng = run.rng("service")
    agents = _agents(run)
    members = list(Member.objects.filter(anonymised_at__isnull=True).order_by("pk")[:TICKETS])
    store = Location.objects.filter(kind=Location.Kind.STORE, is_active=True).order_by("pk").first()
    team = Team.objects.filter(kind=Team.Kind.ONLINE).order_by("pk").values_list("pk", flat=True).first()
    if not members:
        return 0
    tickets, closed = [], []
    with explicit_timestamps(Ticket, TicketMessage, TicketEvent):
        for i in range(TICKETS):
            member = members[i % len(members)]
            kind, plan = KINDS[i % len(KINDS)], PLAN[i % len(PLAN)]
            if i == 9:
                plan = "escalated"
            if i == 10:
                kind, plan = "complaint", "promised"
            if kind in ("praise", "suggestion") and plan != "new":
                plan = "no_action"
            ticket = _ticket(run, rng, i, member=member, kind=kind, plan=plan, team=team, agents=agents, store=store)
            tickets.append(ticket)
            if ticket.state == TicketState.CLOSED:
                closed.append(ticket)
    visits = sum(1 for t in closed if schedule_ticket_visit(ticket=t) is not None)
    visits += schedule_order_visits(now=run.end)  # the history's orders handed over long enough ago
    tags = _tags_and_notes(rng, members, agents[0])
    run.say(f"service: {len(agents)} CS agents (cs1, cs2), {len(tickets)} tickets, {tags} tags and notes, "
            f"{visits} follow-up visits (/service/, /service/reports/)")  # fmt: skip
    return len(tickets)


def _ticket(run: Run, rng, i: int, *, member, kind, plan, team, agents, store) -> Ticket:
    created = run.end - timedelta(hours=rng.uniform(2 if plan == "new" else 30, 24 * 6.5))
    if plan == "new" and i % 16 == 0:
        created = run.end - timedelta(hours=rng.uniform(0.1, 1))  # one still fresh in the queue
    priority = "normal" if i % 3 else PRIORITIES[i % len(PRIORITIES)]
    first_due, resolution_due = sla.due_times(kind=kind, priority=priority, team_id=team, start=created)
    agent = agents[i % 2] if plan != "new" else None
    ticket = Ticket(
        number=_number(rng), channel="chat" if i % 4 else ("phone", "in_store", "review", "after_sale")[i // 4 % 4],
        kind=kind, priority=priority, subject=rng.choice(SUBJECTS[kind]), member=member, team_id=team,
        location=store, created_at=created, first_response_due_at=first_due, resolution_due_at=resolution_due,
        state=TicketState.NEW, last_customer_message_at=created,
    )  # fmt: skip
    if plan != "new":
        late = plan == "open_late" or (plan in ("resolved", "closed_scored") and i % 3 == 0)
        answered = (
            first_due + timedelta(minutes=rng.randint(5, 90))
            if late
            else created + timedelta(seconds=rng.randint(20, max(int((first_due - created).total_seconds()) - 1, 21)))
        )
        answered = min(answered, run.end - timedelta(hours=1))  # in the past even under business hours
        ticket.assignee, ticket.state, ticket.first_response_at = agent, TicketState.OPEN, answered
        if plan == "waiting":
            ticket.state, ticket.paused_at = TicketState.WAITING_ON_CUSTOMER, answered + timedelta(minutes=3)
        elif plan == "escalated":
            ticket.state, ticket.escalated_to = TicketState.ESCALATED, store
            ticket.escalation_reason = "需要到店检测商品"
        elif plan == "promised":
            ticket.promised_solution = "补发一件新的商品并赠送一张二十元优惠券"
            ticket.promised_by = run.end + timedelta(days=2)
        elif plan in ("resolved", "closed_scored", "no_action"):
            ticket.resolved_at = min(answered + timedelta(hours=rng.uniform(0.2, 6)), run.end - timedelta(minutes=40))
            ticket.state = TicketState.RESOLVED
            if plan != "resolved":
                closed_at = min(
                    ticket.resolved_at + timedelta(hours=rng.uniform(1, 20)), run.end - timedelta(minutes=20)
                )
                ticket.state, ticket.closed_at = TicketState.CLOSED, closed_at
                ticket.close_reason = CloseReason.NO_ACTION if plan == "no_action" else CloseReason.CONFIRMED
                ticket.satisfaction = rng.choice((3, 4, 5, 5)) if plan == "closed_scored" else None
    ticket.save()
    _conversation(ticket, agent)
    return ticket


def _conversation(ticket: Ticket, agent: Employee | None) -> None:
    at = ticket.created_at
    messages = [TicketMessage(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body=ticket.subject, created_at=at),
                TicketMessage(ticket=ticket, author_kind=AuthorKind.SYSTEM, created_at=at,
                              body=f"我们已收到您的消息（工单 {ticket.number}），客服将尽快回复。")]  # fmt: skip
    events = [TicketEvent(ticket=ticket, kind=TicketEventKind.CREATED, detail={"channel": ticket.channel}, at=at),
              TicketEvent(ticket=ticket, kind=TicketEventKind.ACKNOWLEDGED, at=at)]  # fmt: skip
    if ticket.first_response_at is not None:
        answered = ticket.first_response_at
        events.append(TicketEvent(ticket=ticket, kind=TicketEventKind.ASSIGNED, actor=agent, at=answered))
        messages.append(TicketMessage(ticket=ticket, author_kind=AuthorKind.AGENT, author=agent, created_at=answered,
                                      body="您好，我来帮您处理，请稍等。"))  # fmt: skip
        events.append(TicketEvent(ticket=ticket, kind=TicketEventKind.FIRST_RESPONSE, actor=agent, at=answered,
                                  detail={"due": ticket.first_response_due_at.isoformat()}))  # fmt: skip
    if ticket.paused_at is not None:
        events.append(TicketEvent(ticket=ticket, kind=TicketEventKind.PAUSED, actor=agent, at=ticket.paused_at))
    if ticket.escalated_to_id is not None:
        detail = {"location_id": ticket.escalated_to_id}
        events.append(TicketEvent(ticket=ticket, kind=TicketEventKind.ESCALATED, actor=agent,
                                  at=ticket.first_response_at, detail=detail))  # fmt: skip
    if ticket.resolved_at is not None:
        messages.append(TicketMessage(ticket=ticket, author_kind=AuthorKind.AGENT, author=agent,
                                      created_at=ticket.resolved_at, body="问题已处理，请确认是否解决。"))  # fmt: skip
        events.append(TicketEvent(ticket=ticket, kind=TicketEventKind.RESOLVED, actor=agent, at=ticket.resolved_at))
    if ticket.closed_at is not None:
        events.append(TicketEvent(ticket=ticket, kind=TicketEventKind.CLOSED, at=ticket.closed_at,
                                  detail={"reason": ticket.close_reason}))  # fmt: skip
    TicketMessage.objects.bulk_create(messages)
    TicketEvent.objects.bulk_create(events)


def _tags_and_notes(rng, members: list[Member], agent: Employee) -> int:
    chosen = members[: min(len(members), 6)]
    tags = [MemberTag(member=m, tag=t, source=TagSource.MANUAL, added_by_id=agent.user_id)
            for m in chosen for t in rng.sample(TAGS, 2)]  # fmt: skip
    notes = [MemberNote(member=m, author_id=agent.user_id, body=rng.choice(NOTES)) for m in chosen[:4]]
    MemberTag.objects.bulk_create(tags, ignore_conflicts=True)
    MemberNote.objects.bulk_create(notes)
    return len(tags) + len(notes)
