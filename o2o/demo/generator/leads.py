"""Demo leads and follow-ups: for the store staff, up to five members each signed up becomes a
lead with tags and a note, and follow-up tasks over the last 30 days (most done, some open, a
few overdue, some assigned by the store manager), so /me/customers/, /me/follow-ups/,
/manager/follow-ups/ and the owner's "tasks assigned vs done" have something to show."""

from datetime import timedelta

from o2o.demo.generator.base import Run, explicit_timestamps
from o2o.leads.models import FollowUp, FollowUpKind, FollowUpState, Lead, LeadNote, LeadTag, Source
from o2o.leads.services import refresh_next_follow_up
from o2o.members.models import Member
from o2o.staff.models import Employee, Role

MAX_EMPLOYEES = 200
LEADS_EACH = 5
TAGS = ["VIP", "新客", "价格敏感", "爱运动", "有小孩", "企业客户"]
NOTES = ["喜欢新品，周末常来", "问过会员储值", "下次到货通知她", "对保养套餐感兴趣", "嫌贵，等促销"]
OUTCOMES = ["已回访，满意", "约了周六到店", "未接通，改天再打", "已发新品图"]
DAYS = 30


def _managers() -> dict[int, Employee]:
    managers = Employee.objects.filter(role=Role.STORE_MANAGER, is_active=True).order_by("pk")
    return {m.home_location_id: m for m in managers}


def create_leads(run: Run) -> int:
    rng = run.rng("leads")
    staff = list(
        Employee.objects.filter(role__in=[Role.CLERK, Role.STORE_MANAGER], is_active=True).order_by("pk")[
            :MAX_EMPLOYEES
        ]
    )
    managers = _managers()
    with explicit_timestamps(Lead, LeadNote, FollowUp):
        leads = []
        for e in staff:
            members = Member.objects.filter(acquiring_employee=e, anonymised_at__isnull=True).order_by("pk")
            for member in members[:LEADS_EACH]:
                at = run.at(run.today - timedelta(days=rng.randint(DAYS, DAYS + 30)), rng.uniform(9, 21))
                leads.append(Lead(employee=e, member=member, source=Source.ACQUIRED, created_at=at))
        Lead.objects.bulk_create(leads, batch_size=run.batch_size)
        tags, notes, follow_ups = [], [], []
        for lead in leads:
            tags += [LeadTag(lead=lead, tag=t) for t in rng.sample(TAGS, rng.randint(0, 2))]
            notes.append(LeadNote(lead=lead, author=lead.employee, body=rng.choice(NOTES), created_at=lead.created_at))
            follow_ups += _follow_ups(run, rng, lead, managers.get(lead.employee.home_location_id))
        LeadTag.objects.bulk_create(tags, batch_size=run.batch_size)
        LeadNote.objects.bulk_create(notes, batch_size=run.batch_size)
        FollowUp.objects.bulk_create(follow_ups, batch_size=run.batch_size)
    refresh_next_follow_up(*(lead.pk for lead in leads))  # the earliest open task's date, as the services keep it
    run.say(f"leads: {len(leads)} leads, {len(follow_ups)} follow-ups (/me/customers/, /manager/follow-ups/)")
    return len(leads)


def _follow_ups(run: Run, rng, lead: Lead, manager: Employee | None) -> list[FollowUp]:
    rows = []
    for _ in range(rng.randint(0, 3)):
        created = run.at(run.today - timedelta(days=rng.randint(0, DAYS)), rng.uniform(9, 20))
        due = created.date() + timedelta(days=rng.randint(1, 7))
        by_manager = manager is not None and manager.pk != lead.employee_id and rng.random() < 0.3
        row = FollowUp(lead=lead, employee=lead.employee, assigned_by=manager if by_manager else lead.employee,
                       due_on=due, kind=rng.choice(FollowUpKind.values), created_at=created)  # fmt: skip
        if due < run.today and rng.random() < 0.8:
            row.state, row.done_at, row.outcome = FollowUpState.DONE, run.at(due, 15), rng.choice(OUTCOMES)
        rows.append(row)
    return rows
