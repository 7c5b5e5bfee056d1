"""Writes of the virtual store: the employee's card, a counted visit, a sign-up through the link."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.visitors import hashed_visitor as keyed_hash
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.members.services import prove_phone, register_member
from o2o.outreach.models import EmployeeCard, ShareVisit
from o2o.staff.models import Employee
from o2o.staff.selectors import employee_by_code

MAX_PATH = 200


def save_my_card(
    *, actor: Actor, title: str, greeting: str, contact_phone: str = "", wechat_id: str = "", photo_url: str = ""
) -> EmployeeCard:
    """The acting employee's own card, created or replaced. There is no way to name another
    employee: the card is always the actor's."""
    authorize(actor, Operation.EDIT_MY_CARD)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only employees have a business card")
    fields = {
        "title": title.strip(),
        "greeting": greeting.strip(),
        "contact_phone": normalize_phone(contact_phone) if contact_phone.strip() else "",
        "wechat_id": wechat_id.strip(),
        "photo_url": photo_url.strip(),
    }
    if fields["photo_url"] and not fields["photo_url"].startswith(("https://", "http://")):
        raise DomainError(ErrorCode.INVALID, "the photo must be an http(s) address", field="photo_url")
    with transaction.atomic(durable=True):
        card, _created = EmployeeCard.objects.update_or_create(employee=actor.employee, defaults=fields)
    return card


def hashed_visitor(cookie_id: str) -> str:
    """The visitor as stored: a keyed hash of the random cookie id (the id itself is never kept)."""
    return keyed_hash("share-visitor", cookie_id)


def record_visit(
    *,
    employee: Employee,
    visitor_cookie: str,
    path: str,
    member: Member | None = None,
    sku: SKU | None = None,
    at: datetime | None = None,
) -> bool:
    """Count a visit to the employee's link, at most one per visitor and clock hour; True when
    this one counted. The unique constraint decides (two tabs at once insert one row)."""
    if not visitor_cookie:
        return False
    at = at or timezone.now()
    hour = at.replace(minute=0, second=0, microsecond=0)
    try:
        with transaction.atomic():
            ShareVisit.objects.create(
                employee=employee,
                visitor=hashed_visitor(visitor_cookie),
                hour=hour,
                at=at,
                member=member,
                sku=sku,
                path=path[:MAX_PATH],
            )
    except IntegrityError:
        return False
    return True


def join_through_share_link(
    *, phone: str, code: str, employee_code: str, name: str = "", marketing_consent: bool = False, client: str = ""
) -> Member:
    """A customer joins (or signs in) from an employee's share link once the phone is proven: a
    new member is registered through the share link and acquired by that employee; a member who
    exists keeps the store and employee who first acquired them."""
    employee = employee_by_code(employee_code)
    if employee is None:
        raise not_found("employee")
    e164 = prove_phone(phone=phone, code=code, client=client)
    member, _created = register_member(
        phone=e164,
        name=name,
        marketing_consent=marketing_consent,
        channel=Member.RegistrationChannel.SHARE_LINK,
        employee_code=employee.code,
    )
    return member
