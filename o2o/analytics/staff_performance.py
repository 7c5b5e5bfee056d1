"""The owner's view ("boss online"): figures by store, team and employee over a period, and the rows
behind each figure.

Every figure is a handful of GROUP BY queries over the whole scope (never a query per employee):
- credited sales: the attribution ledger (LineCredit), summed by `occurred_at` in the window —
  credits when an order is paid, negative reversals when goods come back — per employee and per
  location (the store parties: selling / fulfilling / lending store). The franchise share sits
  outside the 100% split and is shown on its own.
- orders and revenue: paid orders by selling store and channel, net of refunds (the HQ dashboard's
  orders, `analytics.selectors.sales_orders`).
- members acquired: Member.acquiring_employee / acquiring_location, by `created_at`.
- the other apps' figures through their selectors (share links, toolbox, follow-ups, loans).
- customer ratings: feedback attributed by customer service (o2o.service.feedback: praise,
  suggestions, complaints of tickets opened in the window) and follow-up survey scores
  (o2o.aftercare.selectors, answers in the window), per employee and per team.

The API (o2o/api/boss.py) and the pages (o2o/web/boss/) call these functions, so both agree.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.aftercare.selectors import scores_by_employee, scores_by_team
from o2o.analytics.selectors import MONEY, sales_orders
from o2o.attribution.models import LineCredit, Party
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.leads.selectors import follow_up_counts
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.outreach.selectors import share_link_figures
from o2o.service.feedback import feedback_by_employee, feedback_by_team
from o2o.staff.models import Employee
from o2o.staffing.selectors import LoanHours, loan_hours
from o2o.stores.models import Location
from o2o.toolbox.selectors import toolbox_figures

MAX_DAYS = 366
FRANCHISE_PARTY = Party.FRANCHISE_STORE  # outside the 100% split: shown on its own
PERIODS = ("today", "week", "month")
ZERO = Decimal("0.00")


# -- the period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """[start, end) of whole local days, first_day..last_day inclusive."""

    period: str  # today | week | month | range
    first_day: date
    last_day: date
    start: datetime
    end: datetime


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def window(
    *, period: str | None = None, since: date | None = None, until: date | None = None, now: datetime | None = None
) -> Window:
    """Today, this week (from Monday), this month, or the days since..until (both included).

    A range with no `until` ends today; an `until` without `since`, a `since` after `until`, a
    range longer than MAX_DAYS or a period with dates as well is a 422 (never a silent guess)."""
    today = timezone.localdate(now or timezone.now())
    if since is not None or until is not None:
        if period not in (None, "", "range"):
            raise DomainError(ErrorCode.INVALID, "give either a period or since/until, not both", field="period")
        if since is None:
            raise DomainError(ErrorCode.INVALID, "until needs since", field="since")
        until = until or today
        if since > until:
            raise DomainError(ErrorCode.INVALID, "since is after until", field="since")
        if (until - since).days + 1 > MAX_DAYS:
            raise DomainError(ErrorCode.INVALID, f"a range is at most {MAX_DAYS} days", field="until")
        first, last, period = since, until, "range"
    else:
        period = period or "today"
        if period == "today":
            first = today
        elif period == "week":
            first = today - timedelta(days=today.weekday())
        elif period == "month":
            first = today.replace(day=1)
        else:
            raise DomainError(ErrorCode.INVALID, "period is today, week or month", field="period")
        last = today
    return Window(period, first, last, _midnight(first), _midnight(last + timedelta(days=1)))


# -- who may see what ---------------------------------------------------------------------------


def boss_scope(actor: Actor) -> frozenset[int] | None:
    """The locations the actor's view covers (None: the whole chain). Clerks and others: 403."""
    authorize(actor, Operation.VIEW_STAFF_PERFORMANCE)
    return actor.location_ids


def store_for(actor: Actor, location_id: int) -> Location:
    """A store the actor may look at; a store outside their scope answers like a missing one (404)."""
    authorize(actor, Operation.VIEW_STAFF_PERFORMANCE, location_id=location_id)
    location = Location.objects.filter(pk=location_id).select_related("region").first()
    if location is None:
        raise not_found("location")
    return location


def employee_for(actor: Actor, employee_id: int) -> Employee:
    """An employee whose home store is in the actor's scope (HQ: anyone); others answer 404."""
    scope = boss_scope(actor)
    employee = Employee.objects.filter(pk=employee_id).select_related("home_location", "team").first()
    if employee is None or (scope is not None and employee.home_location_id not in scope):
        raise not_found("employee")
    return employee


# -- the figures --------------------------------------------------------------------------------


@dataclass
class Figures:
    """One row of the view: a store, a team, an employee or the whole scope."""

    credited_sales: Decimal = ZERO  # credits minus reversals (LineCredit.amount), employees' or the store's own
    credited_lines: int = 0  # ledger rows behind credited_sales
    orders: int = 0  # stores: paid orders sold there; employees: orders they were credited on
    revenue: Decimal = ZERO  # stores: paid orders net of refunds
    members_acquired: int = 0
    # share links (o2o.outreach.selectors.share_link_figures): visits, distinct visitors, paid orders, net
    share_visits: int = 0
    share_visitors: int = 0
    share_orders: int = 0
    share_revenue: Decimal = ZERO
    # the toolbox (o2o.toolbox.selectors.toolbox_figures): materials shared, opens, leads from them
    materials_shared: int = 0
    material_opens: int = 0
    material_leads: int = 0
    # follow-up tasks (o2o.leads.selectors.follow_up_counts): assigned in the period, done, overdue now
    tasks_assigned: int = 0
    tasks_done: int = 0
    tasks_overdue: int = 0
    # staff support (o2o.staffing.selectors.loan_hours): employees: hours worked on loans; stores:
    # hours their employees were lent out / hours of help they borrowed
    hours_lent: Decimal = ZERO
    hours_borrowed: Decimal = ZERO
    # customer ratings: feedback attributed to them (o2o.service.feedback), follow-up survey answers
    # rating them (o2o.aftercare.selectors) and those answers' scores added up (average x answers)
    praise: int = 0
    suggestions: int = 0
    complaints: int = 0
    survey_answers: int = 0
    survey_points: Decimal = ZERO

    @property
    def survey_score(self) -> Decimal | None:
        """The average follow-up survey score (2 places); None without answers."""
        if not self.survey_answers:
            return None
        return (self.survey_points / self.survey_answers).quantize(Decimal("0.01"))

    @property
    def conversion(self) -> Decimal | None:
        """Share-link orders per visitor (4 places); None when nobody visited."""
        if not self.share_visitors:
            return None
        return (Decimal(self.share_orders) / Decimal(self.share_visitors)).quantize(Decimal("0.0001"))

    def add(self, other: "Figures", *, names: tuple[str, ...] | None = None) -> None:
        for name in names or FIGURE_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


FIGURE_NAMES = tuple(f.name for f in fields(Figures))
# What an employee does that their store's row adds up (the store's own sales, members and hours
# come from the store itself).
ACTIVITY = (
    "share_visits",
    "share_visitors",
    "share_orders",
    "share_revenue",
    "materials_shared",
    "material_opens",
    "material_leads",
    "tasks_assigned",
    "tasks_done",
    "tasks_overdue",
    "praise",
    "suggestions",
    "complaints",
    "survey_answers",
    "survey_points",
)


@dataclass
class EmployeeRow:
    employee_id: int
    name: str
    role: str
    location_id: int | None
    team_id: int | None
    team_name: str
    figures: Figures


@dataclass
class TeamRow:
    team_id: int | None  # None: employees with no team
    name: str
    figures: Figures
    employee_ids: list[int]


@dataclass
class StoreRow:
    location_id: int
    code: str
    name: str
    kind: str
    figures: Figures  # the store's own: its orders, revenue, store-party credits, members
    staff_credited_sales: Decimal = ZERO  # what its employees were credited
    franchise_share: Decimal = ZERO
    by_channel: dict[str, tuple[int, Decimal]] = field(default_factory=dict)


@dataclass
class Overview:
    window: Window
    totals: Figures
    stores: list[StoreRow]
    teams: list[TeamRow]
    employees: list[EmployeeRow]


def _in(field_name: str, ids) -> Q:
    return Q() if ids is None else Q(**{f"{field_name}__in": ids})


def _credits(w: Window) -> QuerySet[LineCredit]:
    return LineCredit.objects.filter(occurred_at__gte=w.start, occurred_at__lt=w.end)


def _credits_by_employee(employee_ids, w: Window) -> dict[int, tuple[Decimal, int, int]]:
    rows = (
        _credits(w)
        .filter(_in("employee_id", employee_ids), employee__isnull=False)
        .values("employee_id")
        .annotate(amount=Sum("amount"), lines=Count("pk"), orders=Count("order_id", distinct=True))
        .order_by()
    )
    return {r["employee_id"]: (to_money(r["amount"] or 0), r["lines"], r["orders"]) for r in rows}


def _credits_by_location(location_ids, w: Window) -> dict[tuple[int, bool], tuple[Decimal, int]]:
    """{(location, is_franchise_share): (amount, rows)} of the store parties."""
    rows = (
        _credits(w)
        .filter(_in("location_id", location_ids), location__isnull=False, employee__isnull=True)
        .values("location_id", "party")
        .annotate(amount=Sum("amount"), lines=Count("pk"))
        .order_by()
    )
    folded: dict[tuple[int, bool], tuple[Decimal, int]] = defaultdict(lambda: (ZERO, 0))
    for r in rows:
        key = (r["location_id"], r["party"] == FRANCHISE_PARTY)
        amount, lines = folded[key]
        folded[key] = (amount + to_money(r["amount"] or 0), lines + r["lines"])
    return dict(folded)


def _pool_credits(w: Window) -> tuple[Decimal, int]:
    """The online operations pool: credits to no employee and no store."""
    pool = _credits(w).filter(employee__isnull=True, location__isnull=True).aggregate(a=Sum("amount"), n=Count("pk"))
    return to_money(pool["a"] or 0), pool["n"]


def _orders_by_store(location_ids, w: Window) -> list[dict]:
    return list(
        sales_orders(location_ids, w.start, w.end)
        .values("selling_location_id", "channel")
        .annotate(revenue=Sum(F("total") - F("refunded_total"), output_field=MONEY), orders=Count("pk"))
        .order_by()
    )


def _members(group_by: str, scope: Q, w: Window) -> dict[int, int]:
    rows = (
        Member.objects.filter(scope, created_at__gte=w.start, created_at__lt=w.end, **{f"{group_by}__isnull": False})
        .values(group_by)
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r[group_by]: r["n"] for r in rows}


def _employees(location_ids) -> list[Employee]:
    return list(
        Employee.objects.filter(_in("home_location_id", location_ids))
        .select_related("team")
        .only("pk", "display_name", "role", "home_location_id", "team_id", "team__name")
        .order_by("home_location_id", "display_name", "pk")
    )


def _employee_rows(employees: list[Employee], w: Window, hours: LoanHours) -> list[EmployeeRow]:
    if not employees:
        return []
    ids = [e.pk for e in employees]
    credits = _credits_by_employee(ids, w)
    members = _members("acquiring_employee_id", Q(acquiring_employee_id__in=ids), w)
    rows = []
    for e in employees:
        amount, lines, orders = credits.get(e.pk, (ZERO, 0, 0))
        figures = Figures(
            credited_sales=amount, credited_lines=lines, orders=orders, members_acquired=members.get(e.pk, 0)
        )
        team_name = e.team.name if e.team is not None else ""
        rows.append(EmployeeRow(e.pk, e.display_name, e.role, e.home_location_id, e.team_id, team_name, figures))
    _add_activity(rows, w, hours)
    return rows


def _add_activity(rows: list[EmployeeRow], w: Window, loans: LoanHours) -> None:
    """The other apps' per-employee figures: one call each for all the rows."""
    ids = [r.employee_id for r in rows]
    shares = share_link_figures(employee_ids=ids, since=w.start, until=w.end)
    toolbox = toolbox_figures(employee_ids=ids, since=w.start, until=w.end)
    tasks = follow_up_counts(employee_ids=ids, since=w.start, until=w.end)
    hours = loans.by_employee
    said = feedback_by_employee(since=w.start, until=w.end, employee_ids=ids)
    scores = scores_by_employee(employee_ids=ids, start=w.start, end=w.end)
    for row in rows:
        f, pk = row.figures, row.employee_id
        if pk in shares:
            link = shares[pk]
            f.share_visits, f.share_visitors, f.share_orders = link.visits, link.visitors, link.orders
            f.share_revenue = to_money(link.revenue)
        materials = toolbox.get(pk, {})
        f.materials_shared, f.material_opens = materials.get("shares", 0), materials.get("opens", 0)
        f.material_leads = materials.get("leads", 0)
        f.tasks_assigned, f.tasks_done, f.tasks_overdue = tasks.get(pk, (0, 0, 0))
        f.hours_lent = to_money(hours.get(pk) or 0)
        _set_ratings(f, said.get(pk), scores.get(pk))


def _set_ratings(f: Figures, said, score: tuple[float, int] | None) -> None:
    if said is not None:
        f.praise, f.suggestions, f.complaints = said.praise, said.suggestions, said.complaints
    if score is not None:
        f.survey_answers = score[1]
        f.survey_points = (Decimal(str(score[0])) * score[1]).quantize(Decimal("0.01"))


def _add_team_ratings(teams: list[TeamRow], w: Window) -> list[TeamRow]:
    """A team's feedback and survey scores are the team's own (also those naming no employee)."""
    ids = [t.team_id for t in teams if t.team_id is not None]
    said = feedback_by_team(since=w.start, until=w.end, team_ids=ids)
    scores = scores_by_team(team_ids=ids, start=w.start, end=w.end)
    for team in teams:
        if team.team_id is not None:
            team.figures.praise = team.figures.suggestions = team.figures.complaints = 0
            team.figures.survey_answers, team.figures.survey_points = 0, ZERO
            _set_ratings(team.figures, said.get(team.team_id), scores.get(team.team_id))
    return teams


def _teams(rows: list[EmployeeRow]) -> list[TeamRow]:
    """The employees' rows summed by team (team None: employees in no team)."""
    teams: dict[int | None, TeamRow] = {}
    for row in rows:
        team = teams.get(row.team_id)
        if team is None:
            team = teams[row.team_id] = TeamRow(row.team_id, row.team_name, Figures(), [])
        team.figures.add(row.figures)
        team.employee_ids.append(row.employee_id)
    return sorted(teams.values(), key=lambda t: (t.team_id is None, t.name, t.team_id or 0))


def _store_rows(location_ids, w: Window, employees: list[EmployeeRow], hours: LoanHours) -> list[StoreRow]:
    order_rows = _orders_by_store(location_ids, w)
    credits = _credits_by_location(location_ids, w)
    members = _members("acquiring_location_id", _in("acquiring_location_id", location_ids), w)
    with_numbers = {r["selling_location_id"] for r in order_rows} | {k[0] for k in credits} | set(members)
    locations = Location.objects.filter(
        _in("pk", location_ids), Q(kind=Location.Kind.STORE, is_active=True) | Q(pk__in=with_numbers)
    ).order_by("code")
    stores = {}
    for loc in locations.only("pk", "code", "name", "kind"):
        amount, lines = credits.get((loc.pk, False), (ZERO, 0))
        figures = Figures(credited_sales=amount, credited_lines=lines, members_acquired=members.get(loc.pk, 0))
        stores[loc.pk] = StoreRow(
            loc.pk, loc.code, loc.name, loc.kind, figures, franchise_share=credits.get((loc.pk, True), (ZERO, 0))[0]
        )
    for r in order_rows:
        store = stores.get(r["selling_location_id"])
        if store is not None:
            revenue = to_money(r["revenue"] or 0)
            store.figures.orders += r["orders"]
            store.figures.revenue += revenue
            store.by_channel[r["channel"]] = (r["orders"], revenue)
    for pk, store in stores.items():
        store.figures.hours_lent = to_money(hours.lent_by_location.get(pk) or 0)
        store.figures.hours_borrowed = to_money(hours.borrowed_by_location.get(pk) or 0)
    for e in employees:
        if e.location_id in stores:
            stores[e.location_id].staff_credited_sales += e.figures.credited_sales
            stores[e.location_id].figures.add(e.figures, names=ACTIVITY)
    return list(stores.values())


def overview(*, location_ids: frozenset[int] | None, w: Window) -> Overview:
    """The chain (or the region, or the store) in scope: a row per store, per team, per employee."""
    hours = loan_hours(since=w.start, until=w.end, location_ids=location_ids)
    employees = _employee_rows(_employees(location_ids), w, hours)
    stores = _store_rows(location_ids, w, employees, hours)
    own = tuple(n for n in FIGURE_NAMES if n not in ACTIVITY)
    totals = Figures()
    for store in stores:
        totals.add(store.figures, names=own)
    # Every credit in scope once: the stores' own, every employee's (also those with no home store),
    # and chain-wide the online operations pool (credited to nobody in particular).
    for e in employees:
        totals.add(e.figures, names=("credited_sales", "credited_lines", *ACTIVITY))
    if location_ids is None:
        amount, lines = _pool_credits(w)
        totals.credited_sales += amount
        totals.credited_lines += lines
    return Overview(w, totals, stores, _add_team_ratings(_teams(employees), w), employees)


@dataclass
class StoreView:
    store: StoreRow
    teams: list[TeamRow]
    employees: list[EmployeeRow]


def store_view(*, location: Location, w: Window) -> StoreView:
    """One store: its own figures, its teams and its employees (by home store)."""
    scope = frozenset({location.pk})
    hours = loan_hours(since=w.start, until=w.end, location_ids=scope)
    employees = _employee_rows(_employees(scope), w, hours)
    rows = _store_rows(scope, w, employees, hours)
    store = rows[0] if rows else StoreRow(location.pk, location.code, location.name, location.kind, Figures())
    return StoreView(store, _add_team_ratings(_teams(employees), w), employees)


def employee_view(*, employee: Employee, w: Window) -> EmployeeRow:
    scope = None if employee.home_location_id is None else frozenset({employee.home_location_id})
    return _employee_rows([employee], w, loan_hours(since=w.start, until=w.end, location_ids=scope))[0]


# -- the rows behind a figure -------------------------------------------------------------------


def employee_credits(*, employee: Employee, w: Window) -> QuerySet[LineCredit]:
    """The ledger rows that add up to the employee's credited sales (and lines, and orders)."""
    return _credits(w).filter(employee_id=employee.pk).select_related("order", "line__sku").order_by("pk")


def store_credits(*, location: Location, w: Window) -> QuerySet[LineCredit]:
    """The ledger rows that add up to the store's own credited sales (not its franchise share)."""
    return (
        _credits(w)
        .filter(location_id=location.pk, employee__isnull=True)
        .exclude(party=FRANCHISE_PARTY)
        .select_related("order", "line__sku")
        .order_by("pk")
    )


def store_orders(*, location: Location, w: Window) -> QuerySet[Order]:
    """The paid orders that add up to the store's orders and revenue (total - refunded each)."""
    return sales_orders(frozenset({location.pk}), w.start, w.end).order_by("pk")
