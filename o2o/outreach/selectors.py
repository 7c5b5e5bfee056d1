"""Reads of the virtual store: whose link it is, the card, what the employee may push, and the
figures of each link (visits, visitors, members acquired, orders, revenue)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.coupons.models import CouponTemplate
from o2o.coupons.selectors import claimable_templates
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.outreach.models import EmployeeCard, ShareVisit
from o2o.pricing.models import ChannelScope
from o2o.promotions.cache import Snapshot
from o2o.promotions.selectors import public_active
from o2o.staff.models import Employee

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Figures:
    """What one employee's share link brought in a period."""

    visits: int = 0  # counted visits (at most one per visitor and hour)
    visitors: int = 0  # distinct visitors
    members_acquired: int = 0  # members who signed up through the link
    orders: int = 0  # paid orders through the link, not refunded in full
    revenue: Decimal = ZERO  # what those orders took, net of refunds

    @property
    def conversion(self) -> Decimal | None:
        """Orders per visitor (a fraction, 4 places); None when nobody visited."""
        if not self.visitors:
            return None
        return (Decimal(self.orders) / Decimal(self.visitors)).quantize(Decimal("0.0001"))


def share_link_figures(
    *, employee_ids: list[int] | set[int] | None = None, since: datetime, until: datetime
) -> dict[int, Figures]:
    """Figures per employee for [since, until): visits by their time, members by when they joined
    through the link (registration_channel share_link, acquired by the employee), orders and
    revenue by when they were paid (referrer = the employee; revenue = total less refunds).

    With `employee_ids`, every one of them is in the answer (zeros when nothing happened);
    without, the employees that have any figure."""
    visits = ShareVisit.objects.filter(at__gte=since, at__lt=until)
    members = Member.objects.filter(
        registration_channel=Member.RegistrationChannel.SHARE_LINK,
        acquiring_employee__isnull=False,
        created_at__gte=since,
        created_at__lt=until,
    )
    orders = Order.objects.filter(referrer__isnull=False, paid_at__gte=since, paid_at__lt=until)
    if employee_ids is not None:
        ids = set(employee_ids)
        visits = visits.filter(employee_id__in=ids)
        members = members.filter(acquiring_employee_id__in=ids)
        orders = orders.filter(referrer_id__in=ids)
    rows: dict[int, dict] = {pk: {} for pk in (ids if employee_ids is not None else ())}
    for row in visits.values("employee_id").annotate(n=Count("pk"), people=Count("visitor", distinct=True)):
        rows.setdefault(row["employee_id"], {}).update(visits=row["n"], visitors=row["people"])
    for row in members.values("acquiring_employee_id").annotate(n=Count("pk")):
        rows.setdefault(row["acquiring_employee_id"], {})["members_acquired"] = row["n"]
    order_rows = orders.values("referrer_id").annotate(
        n=Count("pk", filter=Q(refunded_total__lt=F("total"))),
        taken=Sum(F("total") - F("refunded_total")),
    )
    for row in order_rows:
        rows.setdefault(row["referrer_id"], {}).update(orders=row["n"], revenue=to_money(row["taken"] or 0))
    return {pk: Figures(**values) for pk, values in rows.items()}


def share_link_path(employee: Employee) -> str:
    return reverse("web:shop-employee", kwargs={"code": employee.code})


def qr_path(employee: Employee) -> str:
    return reverse("web:shop-employee-qr", kwargs={"code": employee.code})


def poster_path(employee: Employee, sku_id: int | None = None) -> str:
    path = reverse("web:shop-employee-poster", kwargs={"code": employee.code})
    return f"{path}?sku={sku_id}" if sku_id is not None else path


def sharing_employee(code: str) -> Employee:
    """The active employee whose share code this is, with their store; not found otherwise."""
    plausible = isinstance(code, str) and 0 < len(code) <= 16 and code.isprintable()  # no NUL for PostgreSQL
    employees = Employee.objects.filter(code=code, is_active=True) if plausible else Employee.objects.none()
    employee = employees.select_related("home_location").first()
    if employee is None:
        raise not_found("employee")
    return employee


def card_of(employee: Employee) -> EmployeeCard | None:
    return EmployeeCard.objects.filter(employee=employee).first()


def my_employee(actor: Actor) -> Employee:
    """The acting employee, for reading their own link and figures."""
    authorize(actor, Operation.VIEW_MY_SHARE_LINK)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only employees have a share link")
    return actor.employee


@dataclass(frozen=True)
class Pushable:
    promotions: list[Snapshot]
    coupon_templates: list[CouponTemplate]


def pushable_offers(employee: Employee, *, member_id: int | None = None) -> Pushable:
    """What an employee may push on their link: every promotion active now on the share-link
    channel at their store, and every coupon template in the claim centre that is usable online
    (docs/outreach.md: no separate list to keep; marketers decide by the offer's channels)."""
    templates = [
        t for t in claimable_templates(member_id=member_id) if ChannelScope.fits(t.channel_scope, Channel.SHARE_LINK)
    ]
    return Pushable(
        promotions=public_active(channel=Channel.SHARE_LINK, location_id=employee.home_location_id),
        coupon_templates=templates,
    )
