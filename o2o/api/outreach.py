"""Employees' virtual stores: my link, QR, poster, card and figures; my card edited by me; and
the public side of a share code (name, title, store: never anyone's phone). docs/outreach.md."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field, StrictStr, model_validator

from o2o.api.auth import actor
from o2o.core.site import absolute_url
from o2o.outreach import selectors
from o2o.outreach import services as outreach
from o2o.outreach.models import EmployeeCard
from o2o.staff.models import Employee

router = Router(tags=["outreach"])

DEFAULT_DAYS = 30
MAX_DAYS = 366


class PeriodQuery(Schema):
    since: date | None = Field(None, description="first day (default: 29 days before `until`)")
    until: date | None = Field(None, description="last day, included (default: today)")

    @model_validator(mode="after")
    def _ordered(self):
        until = self.until or timezone.localdate()
        since = self.since or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until or (until - since).days >= MAX_DAYS:
            raise ValueError(f"`since` must be on or before `until`, at most {MAX_DAYS} days apart")
        self.since, self.until = since, until
        return self


class CardIn(Schema):
    title: StrictStr = Field("", max_length=60)
    greeting: StrictStr = Field("", max_length=200)
    contact_phone: StrictStr = Field("", max_length=32, description="shown to signed-in members only")
    wechat_id: StrictStr = Field("", max_length=40, description="shown to signed-in members only")
    photo_url: StrictStr = Field("", max_length=300, description="an http(s) address")


class CardOut(Schema):
    title: str
    greeting: str
    contact_phone: str
    wechat_id: str
    photo_url: str


class FiguresOut(Schema):
    since: date
    until: date
    visits: int
    visitors: int
    members_acquired: int
    orders: int
    revenue: Decimal
    conversion: Decimal | None = Field(description="orders per visitor; null when nobody visited")


class MeOut(Schema):
    code: str
    display_name: str
    store: str | None
    link: str
    qr_url: str
    poster_url: str
    card: CardOut | None
    figures: FiguresOut


class PublicCardOut(Schema):
    code: str
    display_name: str
    title: str
    greeting: str
    photo_url: str
    store: str | None
    link: str
    qr_url: str


def _card_out(card: EmployeeCard | None) -> CardOut | None:
    if card is None:
        return None
    return CardOut(
        title=card.title,
        greeting=card.greeting,
        contact_phone=card.contact_phone,
        wechat_id=card.wechat_id,
        photo_url=card.photo_url,
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _store_name(employee: Employee) -> str | None:
    return employee.home_location.name if employee.home_location_id else None


@router.get("/me", response=MeOut)
def me(request: HttpRequest, period: Query[PeriodQuery]):
    """My share link, its QR and store poster, my card, and what the link brought in the period."""
    employee = selectors.my_employee(actor(request))
    since, until = _start_of(period.since), _start_of(period.until + timedelta(days=1))
    figures = selectors.share_link_figures(employee_ids=[employee.pk], since=since, until=until)[employee.pk]
    return MeOut(
        code=employee.code,
        display_name=employee.display_name,
        store=_store_name(employee),
        link=absolute_url(selectors.share_link_path(employee), request),
        qr_url=absolute_url(selectors.qr_path(employee), request),
        poster_url=absolute_url(selectors.poster_path(employee), request),
        card=_card_out(selectors.card_of(employee)),
        figures=FiguresOut(
            since=period.since,
            until=period.until,
            visits=figures.visits,
            visitors=figures.visitors,
            members_acquired=figures.members_acquired,
            orders=figures.orders,
            revenue=figures.revenue,
            conversion=figures.conversion,
        ),
    )


@router.put("/me/card", response=CardOut)
def put_my_card(request: HttpRequest, payload: CardIn):
    """Replace my business card (an employee edits only their own). A phone is checked (422 invalid_phone)."""
    card = outreach.save_my_card(actor=actor(request), **payload.dict())
    return _card_out(card)


@router.get("/employees/{code}", response=PublicCardOut, auth=None)
def public_card(request: HttpRequest, code: str):
    """What anyone may learn of a share code: the name, title, greeting, store and link."""
    employee = selectors.sharing_employee(code)
    card = selectors.card_of(employee)
    return PublicCardOut(
        code=employee.code,
        display_name=employee.display_name,
        title=card.title if card else "",
        greeting=card.greeting if card else "",
        photo_url=card.photo_url if card else "",
        store=_store_name(employee),
        link=absolute_url(selectors.share_link_path(employee), request),
        qr_url=absolute_url(selectors.qr_path(employee), request),
    )
