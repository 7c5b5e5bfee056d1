"""Demo virtual stores: a business card for the store staff (title, greeting; contact details
for the first store's staff) and share-link visits over the last 30 days, so /me/ and
/shop/e/<code>/ have something to show. Visitors are keyed hashes of made-up cookie ids, as the
live ones are; the one-per-visitor-and-hour constraint holds (duplicates are skipped)."""

from datetime import timedelta

from o2o.demo.generator.base import Run
from o2o.outreach.models import EmployeeCard, ShareVisit
from o2o.outreach.services import hashed_visitor
from o2o.staff.models import Employee, Role

TITLES = {Role.STORE_MANAGER: "店长", Role.CLERK: "导购顾问"}
GREETINGS = ["欢迎光临，有需要随时找我", "新品到店，扫码下单到店自提", "会员专享价，线上线下同价"]
MAX_EMPLOYEES = 200
VISIT_DAYS = 30


def create_outreach(run: Run) -> int:
    rng = run.rng("outreach")
    staff = list(
        Employee.objects.filter(role__in=TITLES, is_active=True)
        .select_related("home_location")
        .order_by("pk")[:MAX_EMPLOYEES]
    )
    first_store = staff[0].home_location_id if staff else None
    EmployeeCard.objects.bulk_create(
        EmployeeCard(
            employee=e,
            title=TITLES[e.role],
            greeting=rng.choice(GREETINGS),
            contact_phone=f"+86139{e.pk:08d}" if e.home_location_id == first_store else "",
            wechat_id=f"o2o_{e.code.lower()}" if e.home_location_id == first_store else "",
        )
        for e in staff
    )
    visits = []
    days = min(run.days, VISIT_DAYS)
    for e in staff:
        for day in range(days, 0, -1):
            for _ in range(rng.randint(0, 4)):
                at = run.at(run.today - timedelta(days=day), rng.uniform(9, 21.9))
                visitor = hashed_visitor(f"demo-{e.pk}-{rng.randint(1, 40)}")
                hour = at.replace(minute=0, second=0, microsecond=0)
                visits.append(ShareVisit(employee=e, visitor=visitor, hour=hour, at=at, path=f"/shop/e/{e.code}/"))
    ShareVisit.objects.bulk_create(visits, batch_size=run.batch_size, ignore_conflicts=True)
    run.say(f"outreach: {len(staff)} business cards, {len(visits)} share-link visits (/shop/e/<code>/, /me/)")
    return len(staff)
