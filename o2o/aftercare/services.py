"""Writes on follow-up visits (docs/aftercare.md).

Scheduling never touches the order's hot path: `schedule_order_visits` (the periodic job) finds
orders handed over at least their policy's delay ago that have no visit and inserts the visits in
bulk; a closed service ticket gets its visit from the TICKET_CLOSED handler. The UNIQUE
constraints (one visit per order, one per ticket) make a rerun or a race write nothing twice
(INSERT ... ON CONFLICT DO NOTHING).

Working a visit: an agent claims it (one conditional UPDATE: two agents cannot both have it),
records the call (reached, with the survey, or not reached: tried again the next day until
O2O_FOLLOWUP_MAX_ATTEMPTS, then unreachable). By message the customer gets a single-use link
that expires (O2O_FOLLOWUP_LINK_DAYS); the first answer stands (the visit moves open -> done by a
conditional UPDATE, and the answer is UNIQUE per visit).
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor, actor_for_member
from o2o.access.permissions import Operation, authorize
from o2o.aftercare import selectors
from o2o.aftercare.models import (
    AnsweredBy,
    FollowUpChannel,
    FollowUpPolicy,
    FollowUpVisit,
    SurveyResponse,
    VisitState,
)
from o2o.catalog.models import Category
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.messaging import queue_message
from o2o.orders.models import Fulfilment, Order, OrderLine, OrderState, OrderTransition
from o2o.service.models import Ticket, TicketKind
from o2o.service.services import TicketRequest, open_ticket
from o2o.staff.models import Employee, Team

logger = logging.getLogger("o2o.aftercare")

BATCH = 500
# A claim nobody finished within this long is free for another agent (the first went home).
CLAIM_TIMEOUT = timedelta(hours=2)
MAX_COMMENT = 1000
MAX_NOTE = 1000
SURVEY_PATH = "/shop/survey/"
HANDED_OVER_STATES = (OrderState.PICKED_UP, OrderState.DELIVERED)
# Ticket kinds whose closing earns a visit: something was done for the customer (a complaint
# solved, an after-sale service); an inquiry, praise or suggestion does not need a call back.
VISITED_TICKET_KINDS = ("complaint", "after_sale")
LOW_SCORE = 2
DEFAULT_POLICY = {"delay_days": 3, "channel": "message", "active": True}  # as migration 0002 seeds it


def _max_attempts() -> int:
    return settings.O2O_FOLLOWUP_MAX_ATTEMPTS


# --- policies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    delay_days: int
    channel: str


class PolicyBook:
    """Every policy and the category tree, loaded once per job: the most specific policy wins
    (the category's own, else its nearest ancestor's, else the default); an inactive one means no visit."""

    def __init__(self) -> None:
        self.by_category: dict[int | None, FollowUpPolicy] = {p.category_id: p for p in FollowUpPolicy.objects.all()}
        if None not in self.by_category:  # the default is switched off (active), never missing: put it back
            self.by_category[None] = FollowUpPolicy.objects.get_or_create(category=None, defaults=DEFAULT_POLICY)[0]
        self.parent: dict[int, int | None] = (
            dict(Category.objects.values_list("pk", "parent_id")) if len(self.by_category) > 1 else {}
        )

    def for_category(self, category_id: int | None) -> Plan | None:
        seen: set[int] = set()
        while category_id is not None and category_id not in seen:
            if category_id in self.by_category:
                return self._plan(self.by_category[category_id])
            seen.add(category_id)
            category_id = self.parent.get(category_id)
        default = self.by_category.get(None)
        return self._plan(default) if default is not None else None

    @staticmethod
    def _plan(policy: FollowUpPolicy) -> Plan | None:
        return Plan(policy.delay_days, policy.channel) if policy.active else None

    def for_categories(self, category_ids: list[int | None]) -> Plan | None:
        """An order of several categories is visited once, at the soonest delay among its lines'
        active policies (a phone call before a message when they tie)."""
        plans = [plan for plan in map(self.for_category, category_ids) if plan is not None]
        return min(plans, key=lambda p: (p.delay_days, p.channel != FollowUpChannel.PHONE), default=None)

    def shortest_delay(self) -> int | None:
        active = [p.delay_days for p in self.by_category.values() if p.active]
        return min(active, default=None)


def set_policy(
    *, actor: Actor, category_id: int | None, delay_days: int, channel: str, active: bool = True
) -> FollowUpPolicy:
    """HQ sets the policy of a category (or the default, without one): inserted or replaced."""
    authorize(actor, Operation.MANAGE_FOLLOW_UP_POLICIES)
    if channel not in FollowUpChannel.values:
        raise DomainError(ErrorCode.INVALID, "unknown channel", channel=channel)
    if not 0 <= delay_days <= 365:
        raise DomainError(ErrorCode.INVALID, "the delay is 0 to 365 days", delay_days=delay_days)
    if category_id is not None and not Category.objects.filter(pk=category_id).exists():
        raise not_found("category")
    values = {"delay_days": delay_days, "channel": channel, "active": active}
    try:
        with transaction.atomic():
            updated = FollowUpPolicy.objects.filter(category_id=category_id).update(**values, updated_at=timezone.now())
            if not updated:
                FollowUpPolicy.objects.create(category_id=category_id, **values)
    except IntegrityError as exc:  # another request created it first
        raise DomainError(ErrorCode.CONFLICT, "the policy changed meanwhile; try again") from exc
    return FollowUpPolicy.objects.get(category_id=category_id)


# --- scheduling ------------------------------------------------------------------------------


def _visit_location(order: Order) -> int:
    """The store whose staff may work the visit: the one that handed the goods over (pickup,
    in-store), or for a delivery the store credited with the sale."""
    return order.selling_location_id if order.fulfilment == Fulfilment.DELIVERY else order.fulfilment_location_id


def _due_orders(now: datetime, shortest_delay: int):
    handed_over = (
        OrderTransition.objects.filter(order=OuterRef("pk"), to_state__in=HANDED_OVER_STATES)
        .order_by("-at")
        .values("at")[:1]
    )
    return (
        Order.objects.filter(
            state__in=[*HANDED_OVER_STATES, OrderState.COMPLETED],
            member__isnull=False,
            member__anonymised_at__isnull=True,
            closed_at__gte=now - timedelta(days=settings.O2O_FOLLOWUP_LOOKBACK_DAYS + shortest_delay),
        )
        .filter(~Exists(FollowUpVisit.objects.filter(order=OuterRef("pk"))))
        .annotate(handed_over_at=Subquery(handed_over))
        .filter(handed_over_at__lte=now - timedelta(days=shortest_delay))
        .only("pk", "member_id", "fulfilment", "selling_location_id", "fulfilment_location_id")
        .order_by("pk")
    )


def schedule_order_visits(*, now: datetime | None = None) -> int:
    """The periodic job: a visit for every order handed over (picked up, delivered, sold at the
    counter) at least its policy's delay ago, within the look-back, that has none. Returns how
    many of its orders have a visit now that had none before (a rerun inserts nothing twice: the
    UNIQUE per order; two runs at once may both count an order the other inserted)."""
    now = now or timezone.now()
    book = PolicyBook()
    shortest = book.shortest_delay()
    if shortest is None:
        return 0
    inserted = 0
    after = 0
    while batch := list(_due_orders(now, shortest).filter(pk__gt=after)[:BATCH]):
        after = batch[-1].pk
        inserted += _insert_visits_for(batch, book, now)
    return inserted


def _insert_visits_for(orders: list[Order], book: PolicyBook, now: datetime) -> int:
    categories: dict[int, list[int | None]] = {}
    for order_id, category_id in OrderLine.objects.filter(order__in=orders).values_list(
        "order_id", "sku__product__category_id"
    ):
        categories.setdefault(order_id, []).append(category_id)
    visits = []
    for order in orders:
        plan = book.for_categories(categories.get(order.pk, []))
        if plan is None or order.handed_over_at > now - timedelta(days=plan.delay_days):
            continue
        due_on = timezone.localdate(order.handed_over_at) + timedelta(days=plan.delay_days)
        visits.append(
            FollowUpVisit(
                member_id=order.member_id,
                order_id=order.pk,
                location_id=_visit_location(order),
                due_on=due_on,
                channel=plan.channel,
            )
        )
    if not visits:
        return 0
    before = FollowUpVisit.objects.filter(order__in=[v.order_id for v in visits]).count()
    FollowUpVisit.objects.bulk_create(visits, ignore_conflicts=True)
    return FollowUpVisit.objects.filter(order__in=[v.order_id for v in visits]).count() - before


def schedule_ticket_visit(*, ticket) -> FollowUpVisit | None:
    """A closed complaint or after-sale ticket of a member gets a visit after its policy's delay
    (the ticket's SKU's category, else the default). Inside the closing transaction; once per ticket."""
    if ticket.kind not in VISITED_TICKET_KINDS or ticket.close_reason == "no_action" or ticket.member_id is None:
        return None
    if ticket.member.anonymised_at is not None:
        return None
    category_id = ticket.sku.product.category_id if ticket.sku_id else None
    plan = PolicyBook().for_category(category_id)
    if plan is None:
        return None
    visit = FollowUpVisit(
        member_id=ticket.member_id,
        ticket_id=ticket.pk,
        location_id=ticket.escalated_to_id or ticket.location_id,
        due_on=timezone.localdate() + timedelta(days=plan.delay_days),
        channel=plan.channel,
    )
    FollowUpVisit.objects.bulk_create([visit], ignore_conflicts=True)  # a second close writes nothing
    return FollowUpVisit.objects.filter(ticket_id=ticket.pk).first()


def send_due_survey_links(*, now: datetime | None = None) -> int:
    """Message visits that fell due get their survey link (once: the token is set by a
    conditional UPDATE); links that expired unanswered turn the visit into a phone call."""
    now = now or timezone.now()
    FollowUpVisit.objects.filter(
        state=VisitState.OPEN,
        channel=FollowUpChannel.MESSAGE,
        token_used_at__isnull=True,
        token_expires_at__lte=now,
    ).update(channel=FollowUpChannel.PHONE, due_on=timezone.localdate(now))
    due = FollowUpVisit.objects.filter(
        state=VisitState.OPEN,
        channel=FollowUpChannel.MESSAGE,
        token_hash__isnull=True,
        due_on__lte=timezone.localdate(now),
    ).select_related("member")
    sent = 0
    for visit in due[:BATCH]:
        with transaction.atomic():
            sent += _send_link(visit, now)
    return sent


def _send_link(visit: FollowUpVisit, now: datetime) -> int:
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(days=settings.O2O_FOLLOWUP_LINK_DAYS)
    if not FollowUpVisit.objects.filter(pk=visit.pk, token_hash__isnull=True, state=VisitState.OPEN).update(
        token_hash=_hash(token), token_expires_at=expires
    ):
        return 0  # another sweep sent it
    url = f"{settings.O2O_SITE_URL.rstrip('/')}{SURVEY_PATH}{{secret}}/"
    body = _("How was your experience with us? Tell us in one minute: %(url)s") % {"url": url}
    queue_message(channel="sms", recipient=visit.member.phone, body=body, secret=token)
    return 1


def cancel_visits_of_anonymised_members() -> int:
    """A member who deleted their account is not called back: their open visits are cancelled."""
    return FollowUpVisit.objects.filter(state=VisitState.OPEN, member__anonymised_at__isnull=False).update(
        state=VisitState.CANCELLED, done_at=timezone.now(), assigned_to=None, claimed_at=None
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- working the queue -------------------------------------------------------------------------


def authorize_queue(*, actor: Actor) -> None:
    """May the actor work visits at all (the queue then shows only what they may see)."""
    authorize(actor, Operation.WORK_FOLLOW_UPS)


def authorize_policies(*, actor: Actor) -> None:
    authorize(actor, Operation.MANAGE_FOLLOW_UP_POLICIES)


def _visit(actor: Actor, visit_id: int) -> FollowUpVisit:
    authorize(actor, Operation.WORK_FOLLOW_UPS)
    visit = selectors.visit_for(actor=actor, visit_id=visit_id)
    if visit is None:
        raise not_found("visit")
    if visit.location_id is not None:
        authorize(actor, Operation.WORK_FOLLOW_UPS, location_id=visit.location_id)
    return visit


def visit_for(*, actor: Actor, visit_id: int) -> FollowUpVisit:
    """One visit the actor may work (another store's is the same 404 as a missing one)."""
    return _visit(actor, visit_id)


def _me(actor: Actor) -> Employee:
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "visits are worked by employees")
    return actor.employee


def _refusal(visit_id: int, employee: Employee) -> DomainError:
    """Why a conditional UPDATE on an open visit changed nothing."""
    visit = FollowUpVisit.objects.get(pk=visit_id)
    if visit.state != VisitState.OPEN:
        return DomainError(
            ErrorCode.ILLEGAL_TRANSITION, "the visit is finished", state=visit.state, to_state=VisitState.OPEN
        )
    if visit.assigned_to_id != employee.pk:
        return DomainError(ErrorCode.FOLLOW_UP_CLAIMED, "another agent has this visit", visit_id=visit_id)
    return DomainError(ErrorCode.CONFLICT, "the visit changed meanwhile; reload it")


@transaction.atomic(durable=True)
def claim_visit(*, actor: Actor, visit_id: int) -> FollowUpVisit:
    """Take an open visit: nobody has it, or its claim went stale, or it is already the actor's."""
    visit = _visit(actor, visit_id)
    employee = _me(actor)
    now = timezone.now()
    free = Q(assigned_to__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT) | Q(assigned_to=employee)
    if not FollowUpVisit.objects.filter(free, pk=visit.pk, state=VisitState.OPEN).update(
        assigned_to=employee, claimed_at=now
    ):
        raise _refusal(visit.pk, employee)
    visit.refresh_from_db()
    return visit


@transaction.atomic(durable=True)
def release_visit(*, actor: Actor, visit_id: int) -> FollowUpVisit:
    """Give a claimed visit back to the queue untouched."""
    visit = _visit(actor, visit_id)
    employee = _me(actor)
    if not FollowUpVisit.objects.filter(pk=visit.pk, state=VisitState.OPEN, assigned_to=employee).update(
        assigned_to=None, claimed_at=None
    ):
        raise _refusal(visit.pk, employee)
    visit.refresh_from_db()
    return visit


@dataclass(frozen=True)
class CallRecord:
    reached: bool
    score: int | None = None  # the survey, when the customer answered it
    comment: str = ""
    note: str = ""  # the agent's note of the call


def _check_call(call: CallRecord) -> None:
    if call.score is not None and not (isinstance(call.score, int) and 1 <= call.score <= 5):
        raise DomainError(ErrorCode.INVALID, "the score is 1 to 5", score=call.score)
    if not call.reached and (call.score is not None or call.comment.strip()):
        raise DomainError(ErrorCode.INVALID, "nobody answered: there is no survey to record")
    if len(call.comment) > MAX_COMMENT or len(call.note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID, "a comment or note is at most 1000 characters")


def record_call(*, actor: Actor, visit_id: int, call: CallRecord) -> FollowUpVisit:
    """The agent who claimed the visit records the call. Reached: the visit is done (with the
    survey if the customer answered one; a low score opens a complaint once committed). Not
    reached: tried again tomorrow, and after the last attempt the visit is unreachable."""
    visit = _record_call(actor=actor, visit_id=visit_id, call=call)
    response = SurveyResponse.objects.filter(visit=visit).select_related("visit__member").first()
    if response is not None:
        open_complaint_for(response)
    return visit


@transaction.atomic(durable=True)
def _record_call(*, actor: Actor, visit_id: int, call: CallRecord) -> FollowUpVisit:
    _check_call(call)
    visit = _visit(actor, visit_id)
    employee = _me(actor)
    now = timezone.now()
    mine = FollowUpVisit.objects.filter(pk=visit.pk, state=VisitState.OPEN, assigned_to=employee)
    if call.reached:
        changed = mine.update(
            state=VisitState.DONE, done_at=now, attempts=F("attempts") + 1, last_attempt_at=now,
            outcome_note=call.note.strip(),
        )  # fmt: skip
    else:
        last = Q(attempts__gte=_max_attempts() - 1)
        changed = mine.update(
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            outcome_note=call.note.strip(),
            state=Case(When(last, then=Value(VisitState.UNREACHABLE)), default=Value(VisitState.OPEN)),
            done_at=Case(When(last, then=Value(now)), default=None),
            due_on=Case(When(last, then=F("due_on")), default=Value(timezone.localdate(now) + timedelta(days=1))),
            assigned_to=None,
            claimed_at=None,
        )
    if not changed:
        raise _refusal(visit.pk, employee)
    visit.refresh_from_db()
    if call.reached and call.score is not None:
        _answer(visit, score=call.score, comment=call.comment, answered_by=AnsweredBy.AGENT, recorded_by=employee)
    return visit


# --- the customer's answer through the link ----------------------------------------------------


def survey_for_token(*, token: str) -> FollowUpVisit:
    """The visit behind a survey link, if the link can still be answered; otherwise the reason."""
    visit = FollowUpVisit.objects.select_related("order", "ticket").filter(token_hash=_hash(token)).first()
    if visit is None:
        raise not_found("survey")
    _check_open(visit, timezone.now())
    return visit


def _check_open(visit: FollowUpVisit, now: datetime) -> None:
    if visit.token_used_at is not None or SurveyResponse.objects.filter(visit=visit).exists():
        raise DomainError(ErrorCode.SURVEY_ANSWERED, "this survey was answered already; thank you")
    if visit.state != VisitState.OPEN or visit.token_expires_at <= now:
        raise DomainError(ErrorCode.SURVEY_LINK_EXPIRED, "this survey link has expired")


def answer_survey(*, token: str, score: int, comment: str = "") -> SurveyResponse:
    """The customer answers through the link, once: the link is used up by a conditional UPDATE
    (a second answer, even at the same instant, changes nothing and is told so). A low score
    opens a complaint ticket once the answer is committed."""
    response = _answer_by_link(token=token, score=score, comment=comment)
    open_complaint_for(response)
    return response


@transaction.atomic(durable=True)
def _answer_by_link(*, token: str, score: int, comment: str) -> SurveyResponse:
    if not (isinstance(score, int) and 1 <= score <= 5):
        raise DomainError(ErrorCode.INVALID, "the score is 1 to 5", score=score)
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise DomainError(ErrorCode.INVALID, "a comment is at most 1000 characters")
    visit = survey_for_token(token=token)
    now = timezone.now()
    if not FollowUpVisit.objects.filter(
        pk=visit.pk, state=VisitState.OPEN, token_used_at__isnull=True, token_expires_at__gt=now
    ).update(token_used_at=now, state=VisitState.DONE, done_at=now, assigned_to=None, claimed_at=None):
        visit.refresh_from_db()
        _check_open(visit, now)
        raise DomainError(ErrorCode.SURVEY_ANSWERED, "this survey was answered already; thank you")
    return _answer(visit, score=score, comment=comment, answered_by=AnsweredBy.CUSTOMER, recorded_by=None)


# --- a low score is a complaint ----------------------------------------------------------------


def open_complaint_for(response: SurveyResponse) -> Ticket | None:
    """A score of LOW_SCORE or less opens a complaint ticket in the customer's name (their words
    are the comment), through the service desk's own open function, after the answer committed.
    Idempotent by the answer: a retry, or the periodic sweep after a crash, opens it once."""
    if response.score > LOW_SCORE or response.complaint_ticket_id is not None:
        return None
    visit = response.visit
    member = visit.member
    if member.anonymised_at is not None:
        return None
    order_id = visit.order_id
    if order_id is None and visit.ticket_id is not None and visit.ticket.order_id is not None:
        order_id = visit.ticket.order_id if visit.ticket.order.member_id == member.pk else None
    subject = _("Follow-up survey: %(score)s out of 5") % {"score": response.score}
    body = response.comment or _("(no comment given)")
    request = TicketRequest(kind=TicketKind.COMPLAINT, subject=subject, body=body, order_id=order_id)
    ticket = open_ticket(
        actor=actor_for_member(member), request=request, idempotency_key=f"follow-up-survey:{response.pk}"
    )
    SurveyResponse.objects.filter(pk=response.pk, complaint_ticket__isnull=True).update(complaint_ticket=ticket)
    response.complaint_ticket = ticket
    return ticket


def open_missing_complaints(*, since: datetime | None = None) -> int:
    """The sweep: low scores of the last week whose complaint was not opened (a crash between)."""
    since = since or timezone.now() - timedelta(days=7)
    low = SurveyResponse.objects.filter(score__lte=LOW_SCORE, complaint_ticket__isnull=True, answered_at__gte=since)
    opened = 0
    for response in low.select_related("visit__member", "visit__ticket__order")[:BATCH]:
        try:
            opened += open_complaint_for(response) is not None
        except DomainError:
            logger.warning("no complaint ticket for survey answer %s", response.pk, exc_info=True)
    return opened


# --- ratings -----------------------------------------------------------------------------------


def _store_team(location_id: int | None) -> int | None:
    if location_id is None:
        return None
    return (
        Team.objects.filter(kind=Team.Kind.STORE, location_id=location_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def rating_targets(visit: FollowUpVisit) -> tuple[int | None, int | None]:
    """(employee, team) a survey credits. An order: the cashier of a counter sale, else the
    employee whose share link sold it; the team of the store that handed it over (else the
    employee's team). A ticket: its assignee, and the store team it was escalated to, else its team."""
    if visit.order_id is not None:
        order = visit.order
        employee = None
        if order.placed_by_id is not None:
            employee = Employee.objects.filter(user_id=order.placed_by_id).first()
        if employee is None and order.referrer_id is not None:
            employee = Employee.objects.filter(pk=order.referrer_id).first()
        team = _store_team(_visit_location(order)) or (employee.team_id if employee else None)
        return (employee.pk if employee else None), team
    ticket = visit.ticket
    team = _store_team(ticket.escalated_to_id) if ticket.escalated_to_id else None
    return ticket.assignee_id, team or ticket.team_id


def _answer(
    visit: FollowUpVisit, *, score: int, comment: str, answered_by: str, recorded_by: Employee | None
) -> SurveyResponse:
    employee_id, team_id = rating_targets(visit)
    response = SurveyResponse.objects.create(
        visit=visit,
        score=score,
        comment=comment.strip(),
        rated_employee_id=employee_id,
        rated_team_id=team_id,
        answered_by=answered_by,
        recorded_by=recorded_by,
    )
    return response
