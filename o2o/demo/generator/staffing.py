"""Demo teams and staff support: a team for every store (its manager leads it), the online operations
team and the head-office team at HQ; then a few support requests between neighbouring stores (one
worked and closed last week, one accepted for tomorrow, one offered, one still open), so the boss
view groups by team and /manager/support/ and /me/support/ have something to show."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from o2o.demo.generator.base import Run
from o2o.staff.models import Employee, Role, Team
from o2o.staffing.models import Loan, LoanState, RequestState, SupportRequest, window_hours
from o2o.stores.models import Location

MAX_STORE_TEAMS = 10_000


def create_teams() -> int:
    stores = list(Location.objects.filter(kind=Location.Kind.STORE).order_by("pk")[:MAX_STORE_TEAMS])
    managers = {e.home_location_id: e for e in Employee.objects.filter(role=Role.STORE_MANAGER).order_by("-pk")}
    teams = Team.objects.bulk_create(
        Team(name=f"{store.name}团队", kind=Team.Kind.STORE, location=store, lead=managers.get(store.pk))
        for store in stores
    )
    store_team = Team.objects.filter(kind=Team.Kind.STORE, location_id=OuterRef("home_location_id")).values("pk")
    Employee.objects.filter(home_location__isnull=False).update(team=Subquery(store_team[:1]))
    online = Team.objects.create(name="线上运营组", kind=Team.Kind.ONLINE)
    Employee.objects.filter(role__in=[Role.ONLINE_OPERATOR, Role.MARKETER, Role.CS_AGENT]).update(team=online)
    hq = Team.objects.create(name="总部", kind=Team.Kind.HQ, lead=Employee.objects.filter(role=Role.HQ).first())
    Employee.objects.filter(role__in=[Role.HQ, Role.REGIONAL_SUPERVISOR]).update(team=hq)
    return len(teams) + 2


def _clerks(location_id: int) -> list[Employee]:
    return list(Employee.objects.filter(home_location_id=location_id, role=Role.CLERK, is_active=True).order_by("pk"))


def _ask(borrower: Location, *, starts, hours: int, note: str, headcount: int = 1, **counts) -> SupportRequest:
    return SupportRequest.objects.create(
        requesting_location=borrower, role=Role.CLERK, headcount=headcount, starts_at=starts,
        ends_at=starts + timedelta(hours=hours), note=note, **counts,
    )  # fmt: skip


def _loan(request: SupportRequest, employee: Employee, state: LoanState, hours_worked=None) -> Loan:
    return Loan.objects.create(
        request=request, employee=employee, lending_location_id=employee.home_location_id, starts_at=request.starts_at,
        ends_at=request.ends_at, window_hours=window_hours(request.starts_at, request.ends_at), state=state,
        hours_worked=hours_worked,
    )  # fmt: skip


def create_support_requests(run: Run) -> int:
    """Rows written directly, as the services would leave them (the demo runs in one transaction,
    and the services each want their own): seats counted, states to match."""
    stores = list(Location.objects.filter(kind=Location.Kind.STORE).order_by("pk")[:3])
    if len(stores) < 2 or not _clerks(stores[0].pk) or not _clerks(stores[1].pk):
        return 0
    lender, borrower = stores[0], stores[1]
    tomorrow = max(run.at(run.today + timedelta(days=1), 10), timezone.now() + timedelta(hours=2))
    tomorrow = tomorrow.replace(minute=0, second=0, microsecond=0)
    week_ago = run.at(run.today - timedelta(days=7), 10)

    worked = _ask(borrower, starts=week_ago, hours=8, note="周末客流高峰", state=RequestState.CLOSED,
                  taken=1, accepted=1, done=1)  # fmt: skip
    _loan(worked, _clerks(lender.pk)[0], LoanState.DONE, hours_worked=Decimal("7.50"))
    accepted = _ask(borrower, starts=tomorrow, hours=6, note="新品上市，需要导购", state=RequestState.FILLED,
                    taken=1, accepted=1)  # fmt: skip
    _loan(accepted, _clerks(lender.pk)[0], LoanState.ACCEPTED)
    offered = _ask(lender, starts=tomorrow + timedelta(days=1), hours=4, note="盘点日", taken=1)
    _loan(offered, _clerks(borrower.pk)[0], LoanState.OFFERED)
    _ask(stores[-1], starts=tomorrow + timedelta(days=2), hours=8, headcount=2, note="店庆活动")
    return 4


def create_staffing(run: Run) -> None:
    teams = create_teams()
    requests = create_support_requests(run)
    run.say(f"staffing: {teams} teams, {requests} support requests (/manager/support/, /me/support/)")
