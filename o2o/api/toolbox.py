"""The marketing toolbox (营销百宝箱, docs/toolbox.md): HQ and store managers publish materials,
employees share them with their own code, readers open, read, forward, ask, book a visit or sign
up for an event from the shared page. Every rule lives in o2o.toolbox."""

from datetime import datetime, timedelta
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt

from o2o.access.actors import Actor
from o2o.api.auth import AUTH, actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import client_address
from o2o.core.site import absolute_url
from o2o.toolbox import selectors, services
from o2o.toolbox.models import MAX_OPEN_SECONDS, MaterialKind

router = Router(tags=["toolbox"])

Kind = Literal[tuple(MaterialKind.values)]  # type: ignore[valid-type]
Token = Annotated[str, Field(min_length=20, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
VisitorKey = Annotated[
    str,
    Field(
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The reader's own random key (keep it, e.g. in local storage); only its keyed hash is stored",
    ),
]
MAX_FIGURES_DAYS = 400


def _anyone(request: HttpRequest) -> Actor:
    """Nobody signed in: the reader of a shared page."""
    return Actor()


PUBLIC = [*AUTH, _anyone]


class MaterialChangeIn(Schema):
    kind: Kind
    title: str = Field(min_length=1, max_length=services.MAX_TITLE)
    summary: str = Field("", max_length=services.MAX_SUMMARY)
    body: str = Field("", max_length=services.MAX_BODY)
    link_url: str = Field("", max_length=services.MAX_URL)
    sku_id: Id | None = None

    def spec(self) -> services.MaterialSpec:
        return services.MaterialSpec(kind=self.kind, title=self.title, summary=self.summary, body=self.body,
                                     link_url=self.link_url, sku_id=self.sku_id)  # fmt: skip


class MaterialIn(MaterialChangeIn):
    location_id: Id | None = Field(None, description="A store's material; none: the chain's (HQ only)")


class ActiveIn(Schema):
    active: StrictBool


class MaterialOut(Schema):
    id: int
    kind: str
    title: str
    summary: str
    body: str
    link_url: str
    sku_id: int | None
    location_id: int | None
    published_at: datetime
    is_active: bool


class ShareOut(Schema):
    id: int
    material_id: int
    token: str
    link: str
    created_at: datetime


class SharedMaterialOut(Schema):
    kind: str
    title: str
    summary: str
    body: str
    link_url: str
    sku_id: int | None
    published_at: datetime


class SharedPageOut(Schema):
    """What anyone holding the link learns: the material and the sharer's card name, nothing else."""

    material: SharedMaterialOut
    shared_by: str


class OpenIn(Schema):
    visitor: VisitorKey


class OpenOut(Schema):
    open_id: int
    ping_every_seconds: int = 10


class SecondsIn(Schema):
    visitor: VisitorKey
    seconds: StrictInt = Field(ge=0, le=MAX_OPEN_SECONDS)


class SecondsOut(Schema):
    seconds: int


class ForwardOut(Schema):
    token: str
    link: str


class InquiryIn(Schema):
    kind: Literal["ask", "visit", "event"]
    phone: str = Field(min_length=3, max_length=32)
    name: str = Field("", max_length=services.MAX_NAME)
    message: str = Field("", max_length=services.MAX_MESSAGE)
    preferred_at: datetime | None = Field(None, description="Required to book a visit or sign up for an event")
    visitor: VisitorKey | None = None


class InquiryOut(Schema):
    id: int
    kind: str
    created_at: datetime


class Figures(Schema):
    shares: int
    opens: int
    readers: int
    avg_seconds: int
    forwards: int
    inquiries: int
    leads: int


class MaterialFiguresOut(Figures):
    material_id: int


class MyFiguresOut(Schema):
    since: datetime
    until: datetime
    totals: Figures
    materials: list[MaterialFiguresOut]


class PeriodIn(Schema):
    since: datetime | None = None
    until: datetime | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        """[since, until): the last 30 days unless given; at most MAX_FIGURES_DAYS long."""
        until = self.until or timezone.now()
        since = self.since or until - timedelta(days=30)
        if timezone.is_naive(since) or timezone.is_naive(until) or not since < until:
            raise DomainError(ErrorCode.INVALID, "since and until are times with their zone, since before until")
        if until - since > timedelta(days=MAX_FIGURES_DAYS):
            raise DomainError(ErrorCode.INVALID, f"a period is at most {MAX_FIGURES_DAYS} days")
        return since, until


def _share_out(request: HttpRequest, share) -> dict:
    return {"id": share.pk, "material_id": share.material_id, "token": share.token,
            "link": absolute_url(f"/shop/m/{share.token}/", request), "created_at": share.created_at}  # fmt: skip


def _member(request: HttpRequest):
    return actor(request).member


# --- publishing (HQ, store managers) ------------------------------------------------------------


@router.post("/materials", response={201: MaterialOut})
def publish_material(request: HttpRequest, payload: MaterialIn):
    """HQ: the chain's material (no location) or a store's; a store manager: their own store's."""
    material = services.publish_material(actor=actor(request), spec=payload.spec(), location_id=payload.location_id)
    return Status(201, material)


@router.get("/materials", response=list[MaterialOut])
@paginate(CursorPagination, ordering=("-id",))
def list_materials(request: HttpRequest, managed: bool = False):
    """The materials the caller may share (the chain's and their store's, published); with
    `managed=true` the ones they manage, withdrawn ones too. Newest first, a page at a time."""
    who = actor(request)
    return selectors.managed_materials(actor=who) if managed else selectors.materials_to_share(actor=who)


@router.get("/materials/{material_id}", response=MaterialOut)
def get_material(request: HttpRequest, material_id: Id):
    return selectors.get_material_for(actor=actor(request), material_id=material_id)


@router.post("/materials/{material_id}", response=MaterialOut)
def change_material(request: HttpRequest, material_id: Id, payload: MaterialChangeIn):
    return services.update_material(actor=actor(request), material_id=material_id, spec=payload.spec())


@router.post("/materials/{material_id}/active", response=MaterialOut)
def set_material_active(request: HttpRequest, material_id: Id, payload: ActiveIn):
    """Withdraw a material (its shared pages stop opening) or publish it again."""
    return services.set_material_active(actor=actor(request), material_id=material_id, active=payload.active)


@router.get("/materials/{material_id}/figures", response=Figures)
def material_figures(request: HttpRequest, material_id: Id, period: Query[PeriodIn]):
    since, until = period.bounds()
    return selectors.figures_of_material(actor=actor(request), material_id=material_id, since=since, until=until)


# --- sharing (employees) --------------------------------------------------------------------------


@router.post("/materials/{material_id}/shares", response={201: ShareOut})
def share_material(request: HttpRequest, material_id: Id, idempotency_key: IdempotencyKey = None):
    """The employee's own link to the material (it carries their code); the same Idempotency-Key
    returns the same link."""
    share = services.share_material(actor=actor(request), material_id=material_id, idempotency_key=idempotency_key)
    return Status(201, _share_out(request, share))


@router.get("/me/figures", response=MyFiguresOut)
def my_figures(request: HttpRequest, period: Query[PeriodIn]):
    """The employee's shares, opens, readers, reading time, forwards, inquiries and leads."""
    since, until = period.bounds()
    figures = selectors.my_figures(actor=actor(request), since=since, until=until)
    materials = [{"material_id": pk, **values} for pk, values in sorted(figures["materials"].items())]
    return {"since": since, "until": until, "totals": figures["totals"], "materials": materials}


# --- the reader's side (public) -------------------------------------------------------------------


@router.get("/shared/{token}", response=SharedPageOut, auth=PUBLIC)
def shared_page(request: HttpRequest, token: Token):
    share = selectors.live_share(token=token)
    return {"material": share.material, "shared_by": share.employee.display_name}


@router.post("/shared/{token}/opens", response={201: OpenOut}, auth=PUBLIC)
def open_shared_page(request: HttpRequest, token: Token, payload: OpenIn):
    """A reader opened the page; a signed-in member becomes a lead of the employee who shared it."""
    opened = services.record_open(token=token, visitor_key=payload.visitor, member=_member(request),
                                  client=client_address(request))  # fmt: skip
    return Status(201, {"open_id": opened.pk})


@router.post("/shared/{token}/opens/{open_id}/seconds", response=SecondsOut, auth=PUBLIC)
def reading_time(request: HttpRequest, token: Token, open_id: Id, payload: SecondsIn):
    """The page's ping (about every 10 s): seconds read so far; the largest counts, bounded by the
    time since the open."""
    seconds = services.record_reading_time(token=token, open_id=open_id, visitor_key=payload.visitor,
                                           seconds=payload.seconds)  # fmt: skip
    return {"seconds": seconds}


@router.post("/shared/{token}/opens/{open_id}/forwards", response={201: ForwardOut}, auth=PUBLIC)
def forward(request: HttpRequest, token: Token, open_id: Id, payload: OpenIn):
    """The reader's own link to pass the page on (the same one on a retry)."""
    share = services.forward_share(token=token, open_id=open_id, visitor_key=payload.visitor)
    return Status(201, {"token": share.token, "link": absolute_url(f"/shop/m/{share.token}/", request)})


@router.post("/shared/{token}/inquiries", response={201: InquiryOut}, auth=PUBLIC)
def send_inquiry(request: HttpRequest, token: Token, payload: InquiryIn):
    """Ask, book a visit or sign up for an event: the employee gets a lead and a follow-up.
    Rate-limited per client address and per visitor (429 with Retry-After)."""
    inquiry = services.submit_inquiry(
        token=token,
        request=services.InquiryIn(kind=payload.kind, phone=payload.phone, name=payload.name,
                                   message=payload.message, preferred_at=payload.preferred_at),
        visitor_key=payload.visitor or "",
        member=_member(request),
        client=client_address(request),
    )  # fmt: skip
    return Status(201, {"id": inquiry.pk, "kind": inquiry.kind, "created_at": inquiry.created_at})
