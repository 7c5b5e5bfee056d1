"""Writes on leads (docs/leads.md): capture, notes, tags, follow-up tasks and their assignment.

Every write that acts for a person takes the `Actor` and asks the permission table first. A lead
is reached through `_own_lead` (the acting employee's own leads; anything else is the same 404),
or for assignment through `_team_lead` (a lead of an employee the actor may assign work to).
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.leads import selectors
from o2o.leads.models import FollowUp, FollowUpKind, FollowUpState, Lead, LeadNote, LeadTag, Source
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.staff.models import Employee

MAX_TAGS = 20
MAX_TAG_LENGTH = 30
MAX_NOTE_LENGTH = 2000


# --- capture (called by other apps: toolbox, outreach, members) --------------------------------


def capture_lead(
    *,
    employee_id: int,
    member_id: int | None = None,
    phone: str | None = None,
    name: str = "",
    source: str,
    note: str = "",
) -> Lead:
    """The employee's lead for this member or phone: inserted, or the one that exists.

    The unique constraints decide (one lead per employee and member, one per employee and phone),
    so two captures racing each other end with one lead. A note is added only with a new lead.
    Runs inside the caller's transaction when there is one."""
    if source not in Source.values:
        raise DomainError(ErrorCode.INVALID, "unknown lead source", source=source)
    if member_id is None and not phone:
        raise DomainError(ErrorCode.INVALID, "a lead needs a member or a phone")
    phone = normalize_phone(phone) if phone else None
    employee = Employee.objects.filter(pk=employee_id, is_active=True).first()
    if employee is None:
        raise not_found("employee")
    if member_id is not None and not Member.objects.filter(pk=member_id, anonymised_at__isnull=True).exists():
        raise not_found("member")
    with transaction.atomic():
        existing = _existing_lead(employee_id, member_id, phone)
        if existing is not None:
            return _link_member(existing, member_id)
        try:
            with transaction.atomic():  # a savepoint: losing the race leaves the outer work intact
                lead = Lead.objects.create(
                    employee=employee, member_id=member_id, phone=phone, name=name[:100], source=source
                )
        except IntegrityError:
            existing = _existing_lead(employee_id, member_id, phone)
            if existing is None:
                raise
            return _link_member(existing, member_id)
        if note.strip():
            LeadNote.objects.create(lead=lead, author=employee, body=note.strip()[:MAX_NOTE_LENGTH])
        return lead


def _existing_lead(employee_id: int, member_id: int | None, phone: str | None) -> Lead | None:
    match = Q()
    if member_id is not None:
        match |= Q(member_id=member_id)
    if phone is not None:
        match |= Q(phone=phone)
    # The member's own lead first, then a phone-only one.
    return Lead.objects.filter(match, employee_id=employee_id).order_by("member_id", "pk").first()


def _link_member(lead: Lead, member_id: int | None) -> Lead:
    """A phone-only lead who is now known as a member gets the member, once (conditional update);
    if the employee already has a lead for that member, that one stays the member's."""
    if member_id is None or lead.member_id is not None:
        return lead
    try:
        with transaction.atomic():
            Lead.objects.filter(pk=lead.pk, member__isnull=True).update(member_id=member_id)
    except IntegrityError:
        return Lead.objects.get(employee_id=lead.employee_id, member_id=member_id)
    lead.refresh_from_db()
    return lead


# --- the employee's own leads -------------------------------------------------------------------


def lead_owner(actor: Actor) -> Employee:
    """The acting employee, who may keep leads (members and anonymous callers may not)."""
    return _me(actor)


def lead_for(actor: Actor, lead_id: int) -> Lead:
    """The actor's own lead with its member and tags; another employee's is the same 404."""
    employee = _me(actor)
    lead = selectors.own_lead(employee.pk, lead_id)
    if lead is None:
        raise not_found("lead")
    return lead


def _me(actor: Actor) -> Employee:
    authorize(actor, Operation.WORK_MY_LEADS)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "leads belong to employees")
    return actor.employee


def _own_lead(actor: Actor, lead_id: int, *, for_update: bool = False) -> Lead:
    employee = _me(actor)
    leads = Lead.objects.filter(pk=lead_id, employee_id=employee.pk)
    lead = (leads.select_for_update() if for_update else leads).first()
    if lead is None:
        raise not_found("lead")
    return lead


def open_customer(*, actor: Actor, member_id: int) -> Lead:
    """The lead row of a member the employee acquired or served, created on first use."""
    employee = _me(actor)
    source = selectors.customer_source(employee, member_id)
    if source is None:
        raise not_found("customer")
    return capture_lead(employee_id=employee.pk, member_id=member_id, source=source)


@transaction.atomic(durable=True)
def add_manual_lead(*, actor: Actor, phone: str, name: str = "", note: str = "") -> Lead:
    """Someone the employee met: their phone and name, typed in (a phone-only lead)."""
    employee = _me(actor)
    return capture_lead(employee_id=employee.pk, phone=phone, name=name, source=Source.MANUAL, note=note)


@transaction.atomic(durable=True)
def update_lead(
    *,
    actor: Actor,
    lead_id: int,
    name: str | None = None,
    next_follow_up_on: date | None = None,
    clear_next_follow_up: bool = False,
    contacted: bool = False,
) -> Lead:
    lead = _own_lead(actor, lead_id, for_update=True)
    fields = []
    if name is not None:
        lead.name = name[:100]
        fields.append("name")
    if next_follow_up_on is not None or clear_next_follow_up:
        lead.next_follow_up_on = next_follow_up_on
        fields.append("next_follow_up_on")
    if contacted:
        lead.last_contact_at = timezone.now()
        fields.append("last_contact_at")
    if fields:
        lead.save(update_fields=fields)
    return lead


def add_note(*, actor: Actor, lead_id: int, body: str, idempotency_key: str | None = None) -> LeadNote:
    body = body.strip()
    if not body or len(body) > MAX_NOTE_LENGTH:
        raise DomainError(ErrorCode.INVALID, f"a note has 1 to {MAX_NOTE_LENGTH} characters")

    def perform() -> dict:
        lead = _own_lead(actor, lead_id)
        return {"note_id": LeadNote.objects.create(lead=lead, author=actor.employee, body=body).pk}

    result = run_once(
        scope=actor.idempotency_scope,
        operation="leads.add_note",
        key=idempotency_key,
        fingerprint=fingerprint(lead_id=lead_id, body=body),
        perform=perform,
    )
    return LeadNote.objects.get(pk=result["note_id"])


def clean_tags(tags: list[str]) -> list[str]:
    cleaned = sorted({tag.strip() for tag in tags if tag.strip()})
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise DomainError(ErrorCode.INVALID, f"at most {MAX_TAGS} tags of up to {MAX_TAG_LENGTH} characters")
    return cleaned


@transaction.atomic(durable=True)
def set_tags(*, actor: Actor, lead_id: int, tags: list[str]) -> list[str]:
    """Replace the lead's tags with these (blank ones dropped, duplicates once)."""
    cleaned = clean_tags(tags)
    lead = _own_lead(actor, lead_id, for_update=True)  # serialises two editors of one lead's tags
    LeadTag.objects.filter(lead=lead).exclude(tag__in=cleaned).delete()
    LeadTag.objects.bulk_create([LeadTag(lead=lead, tag=tag) for tag in cleaned], ignore_conflicts=True)
    return cleaned


# --- follow-up tasks ----------------------------------------------------------------------------


def _check_follow_up(*, kind: str, due_on: date, note: str) -> None:
    if kind not in FollowUpKind.values:
        raise DomainError(ErrorCode.INVALID, "unknown follow-up kind", kind=kind)
    if due_on < timezone.localdate():
        raise DomainError(ErrorCode.INVALID, "a follow-up is due today or later")
    if len(note) > 500:
        raise DomainError(ErrorCode.INVALID, "a follow-up note has at most 500 characters")


def refresh_next_follow_up(*lead_ids: int) -> None:
    """Each lead's next follow-up date is its earliest open task's (one UPDATE, no read-then-write);
    the demo's generator calls it for the leads it wrote directly."""
    earliest = (
        FollowUp.objects.filter(lead_id=OuterRef("pk"), state=FollowUpState.OPEN)
        .values("lead_id")
        .annotate(first=Min("due_on"))
        .values("first")
    )
    Lead.objects.filter(pk__in=lead_ids).update(next_follow_up_on=Subquery(earliest))


def _create_follow_up(*, lead: Lead, assigned_by: Employee, due_on: date, kind: str, note: str) -> dict:
    follow_up = FollowUp.objects.create(
        lead=lead, employee_id=lead.employee_id, assigned_by=assigned_by, due_on=due_on, kind=kind, note=note
    )
    refresh_next_follow_up(lead.pk)
    return {"follow_up_id": follow_up.pk}


def schedule_follow_up(
    *, actor: Actor, lead_id: int, due_on: date, kind: str, note: str = "", idempotency_key: str | None = None
) -> FollowUp:
    """A task the employee sets themself on one of their leads."""
    _check_follow_up(kind=kind, due_on=due_on, note=note)

    def perform() -> dict:
        lead = _own_lead(actor, lead_id, for_update=True)
        return _create_follow_up(lead=lead, assigned_by=actor.employee, due_on=due_on, kind=kind, note=note)

    result = run_once(
        scope=actor.idempotency_scope,
        operation="leads.schedule_follow_up",
        key=idempotency_key,
        fingerprint=fingerprint(lead_id=lead_id, due_on=due_on, kind=kind, note=note),
        perform=perform,
    )
    return FollowUp.objects.select_related("lead").get(pk=result["follow_up_id"])


def follow_up_captured_lead(*, lead_id: int, due_on: date, kind: str, note: str = "") -> int:
    """The lead's employee's task on a lead another app has just captured (a toolbox inquiry),
    set as if by themself, inside the caller's transaction so it commits with the capture.
    Returns the follow-up's id."""
    _check_follow_up(kind=kind, due_on=due_on, note=note)
    lead = Lead.objects.select_for_update(of=("self",)).select_related("employee").get(pk=lead_id)
    return _create_follow_up(lead=lead, assigned_by=lead.employee, due_on=due_on, kind=kind, note=note)["follow_up_id"]


def _may_assign_to(actor: Actor, employee: Employee) -> None:
    """A store manager assigns to the employees of their store, HQ to anyone; an employee the
    actor may not assign to answers like a missing one."""
    location_id = employee.home_location_id
    if location_id is None and not actor.is_chain_wide:
        raise not_found("employee")
    if actor.is_staff and location_id is not None and not actor.can_see_location(location_id):
        raise not_found("employee")
    authorize(actor, Operation.ASSIGN_FOLLOW_UP, location_id=location_id)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "follow-ups are assigned by an employee")


def assign_follow_up(
    *,
    actor: Actor,
    employee_id: int,
    due_on: date,
    kind: str,
    lead_id: int | None = None,
    member_id: int | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> FollowUp:
    """A manager's task for one of their employees, on that employee's lead (or on a customer of
    theirs, whose lead is created on first use)."""
    _check_follow_up(kind=kind, due_on=due_on, note=note)
    if (lead_id is None) == (member_id is None):
        raise DomainError(ErrorCode.INVALID, "give either a lead or a member")
    employee = Employee.objects.filter(pk=employee_id, is_active=True).first()
    if employee is None:
        raise not_found("employee")
    _may_assign_to(actor, employee)

    def perform() -> dict:
        lead = _team_lead(employee, lead_id=lead_id, member_id=member_id)
        return _create_follow_up(lead=lead, assigned_by=actor.employee, due_on=due_on, kind=kind, note=note)

    result = run_once(
        scope=actor.idempotency_scope,
        operation="leads.assign_follow_up",
        key=idempotency_key,
        fingerprint=fingerprint(
            employee_id=employee_id, lead_id=lead_id, member_id=member_id, due_on=due_on, kind=kind, note=note
        ),
        perform=perform,
    )
    return FollowUp.objects.select_related("lead").get(pk=result["follow_up_id"])


def _team_lead(employee: Employee, *, lead_id: int | None, member_id: int | None) -> Lead:
    if lead_id is not None:
        lead = Lead.objects.select_for_update().filter(pk=lead_id, employee_id=employee.pk).first()
        if lead is None:
            raise not_found("lead")
        return lead
    source = selectors.customer_source(employee, member_id)
    if source is None:
        raise not_found("customer")
    return capture_lead(employee_id=employee.pk, member_id=member_id, source=source)


def _follow_up_for_update(actor: Actor, follow_up_id: int) -> FollowUp:
    """The follow-up if the actor does it, assigned it, or may assign work to its employee."""
    follow_up = FollowUp.objects.select_related("employee").filter(pk=follow_up_id).first()
    if follow_up is None or actor.employee is None:
        raise not_found("follow-up")
    if actor.employee.pk not in (follow_up.employee_id, follow_up.assigned_by_id):
        try:
            _may_assign_to(actor, follow_up.employee)
        except DomainError as exc:
            raise not_found("follow-up") from exc
    return follow_up


@transaction.atomic(durable=True)
def complete_follow_up(*, actor: Actor, follow_up_id: int, outcome: str = "") -> FollowUp:
    """Done, by the employee who had to do it: open -> done (anything else is a 409)."""
    if len(outcome) > 500:
        raise DomainError(ErrorCode.INVALID, "an outcome has at most 500 characters")
    authorize(actor, Operation.WORK_MY_LEADS)
    follow_up = _follow_up_for_update(actor, follow_up_id)
    if follow_up.employee_id != actor.employee.pk:
        raise DomainError(ErrorCode.FORBIDDEN, "only the employee it is assigned to completes a follow-up")
    now = timezone.now()
    _transition(follow_up, state=FollowUpState.DONE, done_at=now, outcome=outcome.strip())
    Lead.objects.filter(pk=follow_up.lead_id).update(last_contact_at=now)
    refresh_next_follow_up(follow_up.lead_id)
    return FollowUp.objects.get(pk=follow_up.pk)


@transaction.atomic(durable=True)
def cancel_follow_up(*, actor: Actor, follow_up_id: int, reason: str = "") -> FollowUp:
    """Cancelled by its employee, whoever assigned it, or their manager: open -> cancelled."""
    if len(reason) > 500:
        raise DomainError(ErrorCode.INVALID, "a reason has at most 500 characters")
    if actor.employee is None or not actor.is_staff:
        raise DomainError(ErrorCode.FORBIDDEN, "follow-ups are cancelled by employees")
    follow_up = _follow_up_for_update(actor, follow_up_id)
    _transition(follow_up, state=FollowUpState.CANCELLED, cancelled_at=timezone.now(), outcome=reason.strip())
    refresh_next_follow_up(follow_up.lead_id)
    return FollowUp.objects.get(pk=follow_up.pk)


def _transition(follow_up: FollowUp, *, state: str, **fields: object) -> None:
    """open -> done | cancelled by one conditional UPDATE: a second completion, or a cancel
    racing a completion, changes nothing and is a 409."""
    changed = FollowUp.objects.filter(pk=follow_up.pk, state=FollowUpState.OPEN).update(state=state, **fields)
    if not changed:
        current = FollowUp.objects.values_list("state", flat=True).get(pk=follow_up.pk)
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"the follow-up is {current}", state=current, wanted=state)


def forget_member(*, member_id: int, phone: str, placeholder: str) -> None:
    """Account deletion (privacy's eraser, inside its transaction): leads on the member lose the
    name typed for them; a phone-only lead of theirs keeps the placeholder instead of the number."""
    Lead.objects.filter(member_id=member_id).update(name="", phone=None)
    Lead.objects.filter(member__isnull=True, phone=phone).update(name="", phone=placeholder)
