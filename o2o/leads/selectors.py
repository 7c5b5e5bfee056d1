"""Reads on leads: an employee's customers, their leads and follow-ups, and task counts.

Phones: rows carry the full phone for the employee who owns them (they call their customers);
whoever shows them to someone else masks them (`Customer.phone_masked`, `visible_phone`).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from o2o.leads.models import FollowUp, FollowUpState, Lead, LeadNote, LeadTag, Source
from o2o.members.models import Member
from o2o.members.phones import mask_phone
from o2o.orders.models import Order
from o2o.staff.models import Employee


@dataclass(frozen=True)
class Customer:
    """One of an employee's customers: a lead row, or a member they acquired or served who has
    none yet (lead_id None until the employee writes something about them)."""

    lead_id: int | None
    member_id: int | None
    name: str
    phone: str  # full: for the owning employee only
    source: str
    next_follow_up_on: date | None = None
    last_contact_at: datetime | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @property
    def source_label(self) -> str:
        return Source(self.source).label


def lead_name(lead: Lead) -> str:
    """The name typed for the lead, else its member's (none once the member is anonymised)."""
    if lead.name:
        return lead.name
    return lead.member.name if lead.member_id and lead.member.anonymised_at is None else ""


def lead_phone(lead: Lead) -> str:
    if lead.phone:
        return lead.phone
    return lead.member.phone if lead.member_id and lead.member.anonymised_at is None else ""


def visible_phone(viewer: Employee | None, lead: Lead) -> str:
    """The full phone for the lead's own employee, masked for anyone else who may see the lead."""
    phone = lead_phone(lead)
    if viewer is not None and viewer.pk == lead.employee_id:
        return phone
    return mask_phone(phone) if phone else ""


def _served_orders(employee: Employee) -> QuerySet[Order]:
    served = Q(referrer_id=employee.pk)
    if employee.user_id is not None:
        served |= Q(placed_by_id=employee.user_id)
    return Order.objects.filter(served, paid_at__isnull=False, member__isnull=False)


def customer_source(employee: Employee, member_id: int) -> str | None:
    """acquired / served when the member is the employee's customer; None when not."""
    members = Member.objects.filter(pk=member_id, anonymised_at__isnull=True)
    if members.filter(acquiring_employee_id=employee.pk).exists():
        return Source.ACQUIRED
    if _served_orders(employee).filter(member_id=member_id, member__anonymised_at__isnull=True).exists():
        return Source.SERVED
    return None


def leads_of(employee_id: int, *, tag: str | None = None, due_before: date | None = None) -> QuerySet[Lead]:
    leads = (
        Lead.objects.filter(employee_id=employee_id)
        .select_related("member")
        .prefetch_related(Prefetch("tags", queryset=LeadTag.objects.order_by("tag")))
    )
    if tag:
        leads = leads.filter(tags__tag=tag)
    if due_before is not None:
        leads = leads.filter(next_follow_up_on__lte=due_before)
    return leads


def lead_customer(lead: Lead) -> Customer:
    return Customer(
        lead_id=lead.pk,
        member_id=lead.member_id,
        name=lead_name(lead),
        phone=lead_phone(lead),
        source=lead.source,
        next_follow_up_on=lead.next_follow_up_on,
        last_contact_at=lead.last_contact_at,
        tags=[t.tag for t in lead.tags.all()],
    )


def customer_members(employee: Employee) -> QuerySet[Member]:
    """Members the employee acquired or served who have no lead row of theirs yet."""
    served = _served_orders(employee).values("member_id")
    return (
        Member.objects.filter(Q(acquiring_employee_id=employee.pk) | Q(pk__in=served), anonymised_at__isnull=True)
        .exclude(pk__in=Lead.objects.filter(employee_id=employee.pk, member__isnull=False).values("member_id"))
        .annotate(
            lead_source=Case(
                When(acquiring_employee_id=employee.pk, then=Value(Source.ACQUIRED.value)),
                default=Value(Source.SERVED.value),
            )
        )
        .order_by("pk")
    )


def _member_customer(employee: Employee, member: Member) -> Customer:
    source = Source.ACQUIRED if member.acquiring_employee_id == employee.pk else Source.SERVED
    return Customer(lead_id=None, member_id=member.pk, name=member.name, phone=member.phone, source=str(source))


def customers_of(employee_id: int, *, tag: str | None = None, limit: int | None = None) -> list[Customer]:
    """The employee's customers: their leads (next follow-up first), then the members they
    acquired or served without a lead row (with a tag filter, only leads carry tags)."""
    employee = Employee.objects.get(pk=employee_id)
    leads = leads_of(employee_id, tag=tag).order_by("next_follow_up_on", "-pk")
    rows = [lead_customer(lead) for lead in (leads[:limit] if limit else leads)]
    if tag:
        return rows
    members = customer_members(employee)
    if limit:
        members = members[: max(limit - len(rows), 0)]
    return rows + [_member_customer(employee, member) for member in members]


def member_customer(employee: Employee, member_id: int) -> Customer | None:
    """A member customer of the employee without a lead row (their card before any note)."""
    if customer_source(employee, member_id) is None:
        return None
    member = Member.objects.get(pk=member_id)
    return _member_customer(employee, member)


def own_lead(employee_id: int, lead_id: int) -> Lead | None:
    return leads_of(employee_id).filter(pk=lead_id).first()


def notes_of(lead_id: int) -> QuerySet[LeadNote]:
    return LeadNote.objects.filter(lead_id=lead_id).select_related("author")


def follow_ups_of_lead(lead_id: int) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(lead_id=lead_id).select_related("assigned_by").order_by("-pk")


def follow_ups_for(employee_id: int, *, due_before: date | None = None, open_only: bool = True) -> QuerySet[FollowUp]:
    """The employee's follow-ups (open ones by default), earliest due first."""
    follow_ups = FollowUp.objects.filter(employee_id=employee_id).select_related("lead", "lead__member", "assigned_by")
    if open_only:
        follow_ups = follow_ups.filter(state=FollowUpState.OPEN)
    if due_before is not None:
        follow_ups = follow_ups.filter(due_on__lte=due_before)
    return follow_ups.order_by("due_on", "pk")


def team_leads(location_id: int) -> QuerySet[Lead]:
    """Leads of the employees based at a store (the manager's assignment page masks them)."""
    return (
        Lead.objects.filter(employee__home_location_id=location_id, employee__is_active=True)
        .select_related("employee", "member")
        .order_by("employee__display_name", "next_follow_up_on", "pk")
    )


def team_follow_ups(location_id: int) -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(employee__home_location_id=location_id, state=FollowUpState.OPEN)
        .select_related("employee", "lead", "lead__member", "assigned_by")
        .order_by("due_on", "pk")
    )


def _start(moment: date | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return timezone.make_aware(datetime.combine(moment, time.min))


def follow_up_counts(
    *, employee_ids: list[int] | set[int] | frozenset[int] | None = None, since: date | datetime, until: date | datetime
) -> dict[int, tuple[int, int, int]]:
    """Per employee, of the follow-ups assigned to them in [since, until): how many, how many are
    done, and how many are still open past their due date (today). Dates mean local midnight."""
    today = timezone.localdate()
    follow_ups = FollowUp.objects.filter(created_at__gte=_start(since), created_at__lt=_start(until))
    if employee_ids is not None:
        follow_ups = follow_ups.filter(employee_id__in=list(employee_ids))
    rows = follow_ups.values("employee_id").annotate(
        assigned=Count("pk"),
        done=Count("pk", filter=Q(state=FollowUpState.DONE)),
        overdue=Count("pk", filter=Q(state=FollowUpState.OPEN, due_on__lt=today)),
    )
    return {row["employee_id"]: (row["assigned"], row["done"], row["overdue"]) for row in rows}


def leads_about(member: Member) -> list[dict]:
    """A member's data export: every employee's lead on them (by member, or by their phone) with
    its tags, notes and follow-ups: what was written about them."""
    leads = (
        Lead.objects.filter(Q(member=member) | Q(phone=member.phone))
        .select_related("employee")
        .prefetch_related(
            Prefetch("tags", queryset=LeadTag.objects.order_by("tag")),
            Prefetch("notes", queryset=LeadNote.objects.order_by("created_at", "pk")),
            Prefetch("follow_ups", queryset=FollowUp.objects.order_by("due_on", "pk")),
        )
        .order_by("pk")
    )
    return [
        {
            "employee": lead.employee.display_name,
            "name": lead.name,
            "phone": lead.phone,
            "source": lead.source,
            "created_at": lead.created_at,
            "last_contact_at": lead.last_contact_at,
            "tags": [t.tag for t in lead.tags.all()],
            "notes": [{"at": n.created_at, "body": n.body} for n in lead.notes.all()],
            "follow_ups": [
                {"due_on": f.due_on, "kind": f.kind, "state": f.state, "note": f.note, "outcome": f.outcome}
                for f in lead.follow_ups.all()
            ],
        }
        for lead in leads
    ]
