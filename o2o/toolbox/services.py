"""Every write of the marketing toolbox (docs/toolbox.md).

Publishing: HQ for the chain (location None) or any store, a store manager for their own store
(`Operation.MANAGE_MATERIALS`). Sharing: any employee, with their own code, a material of the
chain or of their home store (`Operation.SHARE_MATERIALS`). The reader's side (open, reading
time, forward, inquiry) is public: what proves a reader is the share's token in the URL and the
reader's own random visitor key (kept only as a keyed hash), and budgets per client address and
per visitor keep it from being flooded.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.ratelimits import retry_after, spend
from o2o.core.visitors import hashed_visitor, is_visitor_key
from o2o.leads.models import Source
from o2o.leads.services import capture_lead, follow_up_captured_lead
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.stores.selectors import get_location
from o2o.toolbox import selectors
from o2o.toolbox.models import (
    LINKED_KINDS,
    MAX_OPEN_SECONDS,
    TIMED_KINDS,
    Inquiry,
    InquiryKind,
    Material,
    MaterialKind,
    MaterialOpen,
    MaterialShare,
)

TOKEN_BYTES = 18  # 24 URL-safe characters, 144 random bits: not to be guessed
PING_SLACK_SECONDS = 5  # a reader's clock may run a little ahead of ours
MAX_FORWARD_DEPTH = 50
MAX_TITLE, MAX_SUMMARY, MAX_BODY, MAX_URL = 200, 500, 20_000, 500
MAX_NAME, MAX_MESSAGE = 100, 1000
MAX_BOOKING_AHEAD = timedelta(days=366)
# Budgets of the public side; settings may override each ("5/hour" ...).
RATE_DEFAULTS = {
    "O2O_TOOLBOX_INQUIRIES_PER_CLIENT": "10/hour",
    "O2O_TOOLBOX_INQUIRIES_PER_VISITOR": "5/hour",
    "O2O_TOOLBOX_OPENS_PER_CLIENT": "120/hour",
}


def rate(name: str) -> str:
    return getattr(settings, name, RATE_DEFAULTS[name])


def _spend_or_refuse(name: str, *identifiers: str) -> None:
    """Spend one unit of a budget (committed at once, outside the work's transaction)."""
    if not spend(rate(name), *identifiers):
        wait = max(1, retry_after(rate(name), *identifiers))
        raise DomainError(ErrorCode.RATE_LIMITED, "too many requests; try again later", retry_after=wait)


# --- publishing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialSpec:
    kind: str
    title: str
    summary: str = ""
    body: str = ""
    link_url: str = ""
    sku_id: int | None = None


def _clean(spec: MaterialSpec) -> MaterialSpec:
    """The spec as it will be stored, or a 422 saying what is wrong with it."""
    if spec.kind not in MaterialKind.values:
        raise DomainError(ErrorCode.INVALID, "unknown material kind", kind=spec.kind)
    title, summary, body, link = spec.title.strip(), spec.summary.strip(), spec.body.strip(), spec.link_url.strip()
    if not title or len(title) > MAX_TITLE:
        raise DomainError(ErrorCode.INVALID, f"a title has 1 to {MAX_TITLE} characters")
    if len(summary) > MAX_SUMMARY or len(body) > MAX_BODY:
        raise DomainError(ErrorCode.INVALID, f"a summary has at most {MAX_SUMMARY}, a text {MAX_BODY} characters")
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError as exc:
            raise DomainError(ErrorCode.INVALID, "the link is not an http(s) address") from exc
        if len(link) > MAX_URL:
            raise DomainError(ErrorCode.INVALID, f"a link has at most {MAX_URL} characters")
    elif spec.kind in LINKED_KINDS:
        raise DomainError(ErrorCode.INVALID, "a video or a file needs its link", kind=spec.kind)
    if spec.sku_id is not None and not SKU.objects.filter(pk=spec.sku_id).exists():
        raise DomainError(ErrorCode.UNKNOWN_SKU, "no such product", sku_id=spec.sku_id)
    return MaterialSpec(kind=spec.kind, title=title, summary=summary, body=body, link_url=link, sku_id=spec.sku_id)


def _may_publish_at(actor: Actor, location_id: int | None) -> None:
    """The chain's materials are HQ's (a chain-wide actor); a store's, its manager's or HQ's."""
    authorize(actor, Operation.MANAGE_MATERIALS, location_id=location_id)
    if location_id is None and not actor.is_chain_wide:
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ publishes for the whole chain")
    if location_id is not None:
        get_location(location_id=location_id)


@transaction.atomic(durable=True)
def publish_material(*, actor: Actor, spec: MaterialSpec, location_id: int | None = None) -> Material:
    _may_publish_at(actor, location_id)
    spec = _clean(spec)
    return Material.objects.create(
        kind=spec.kind,
        title=spec.title,
        summary=spec.summary,
        body=spec.body,
        link_url=spec.link_url,
        sku_id=spec.sku_id,
        location_id=location_id,
        published_by_id=actor.user_id,
        published_at=timezone.now(),
    )


def _managed_material(actor: Actor, material_id: int) -> Material:
    """A material the actor may change; the same 404 for missing and for another store's."""
    material = selectors.managed_materials(actor=actor).select_for_update(of=("self",)).filter(pk=material_id).first()
    if material is None:
        raise not_found("material")
    return material


@transaction.atomic(durable=True)
def update_material(*, actor: Actor, material_id: int, spec: MaterialSpec) -> Material:
    material = _managed_material(actor, material_id)
    spec = _clean(spec)
    for field in ("kind", "title", "summary", "body", "link_url", "sku_id"):
        setattr(material, field, getattr(spec, field))
    material.save(update_fields=["kind", "title", "summary", "body", "link_url", "sku_id", "updated_at"])
    return material


@transaction.atomic(durable=True)
def set_material_active(*, actor: Actor, material_id: int, active: bool) -> Material:
    """Withdraw (its shared links stop opening) or publish again."""
    material = _managed_material(actor, material_id)
    if material.is_active != active:
        material.is_active = active
        material.save(update_fields=["is_active", "updated_at"])
    return material


# --- sharing --------------------------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _create_share(**fields) -> MaterialShare:
    """A share with a fresh token; the unique index decides (a taken token: draw again)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return MaterialShare.objects.create(token=_new_token(), **fields)
        except IntegrityError:
            if "parent_open" in fields and MaterialShare.objects.filter(parent_open=fields["parent_open"]).exists():
                raise
    raise DomainError(ErrorCode.CONFLICT, "could not draw a share token; try again")


def share_material(*, actor: Actor, material_id: int, idempotency_key: str | None = None) -> MaterialShare:
    """The employee's own link to a material of the chain or of their store; the same
    Idempotency-Key returns the same share."""
    authorize(actor, Operation.SHARE_MATERIALS)
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only employees share materials (with their own code)")
    employee = actor.employee

    def perform() -> dict:
        material = selectors.shareable_materials(employee=employee).filter(pk=material_id).first()
        if material is None:
            raise not_found("material")
        return {"share_id": _create_share(material=material, employee=employee).pk}

    result = run_once(
        scope=actor.idempotency_scope,
        operation="toolbox.share_material",
        key=idempotency_key,
        fingerprint=fingerprint(material_id=material_id),
        perform=perform,
    )
    return MaterialShare.objects.select_related("material", "employee").get(pk=result["share_id"])


# --- the reader's side --------------------------------------------------------------------------


def visitor_hash(visitor_key: str) -> str:
    """The keyed hash kept of a reader's random key; the key itself is never stored."""
    if not is_visitor_key(visitor_key):
        raise DomainError(ErrorCode.INVALID, "a visitor key has 16 to 64 letters, digits, - or _")
    return hashed_visitor("toolbox-visitor", visitor_key)


def _readers_open(share: MaterialShare, open_id: int, visitor_key: str):
    """The reader's own open of this share (the visitor key proves it); else the same 404."""
    opened = MaterialOpen.objects.filter(pk=open_id, share=share, visitor_hash=visitor_hash(visitor_key))
    return opened


def record_open(*, token: str, visitor_key: str, member: Member | None = None, client: str = "") -> MaterialOpen:
    """A reader opened a shared page. A signed-in member becomes a lead of the credited employee."""
    hashed = visitor_hash(visitor_key)
    if client:
        _spend_or_refuse("O2O_TOOLBOX_OPENS_PER_CLIENT", "toolbox-open", client)
    with transaction.atomic(durable=True):
        share = selectors.live_share(token=token)
        opened = MaterialOpen.objects.create(share=share, visitor_hash=hashed, member=member)
        if member is not None and member.anonymised_at is None:
            capture_lead(employee_id=share.employee_id, member_id=member.pk, source=Source.SHARE_OPEN)
    return opened


def record_reading_time(*, token: str, open_id: int, visitor_key: str, seconds: int | None) -> int:
    """The page's ping: how long the reader has been reading. The count only grows (the largest
    ping wins, one conditional UPDATE), and never past the time since the open or the cap.
    `seconds` None: the time since the open as this server measures it (the page's own ping)."""
    if seconds is not None and not 0 <= seconds <= MAX_OPEN_SECONDS:
        raise DomainError(ErrorCode.INVALID, f"seconds are 0 to {MAX_OPEN_SECONDS}")
    share = selectors.live_share(token=token)
    opened = _readers_open(share, open_id, visitor_key)
    opened_at = opened.values_list("opened_at", flat=True).first()
    if opened_at is None:
        raise not_found("open")
    elapsed = int((timezone.now() - opened_at).total_seconds())
    if seconds is None:
        seconds = elapsed
    bounded = max(0, min(seconds, elapsed + PING_SLACK_SECONDS, MAX_OPEN_SECONDS))
    opened.update(seconds=Greatest(F("seconds"), bounded))
    return opened.values_list("seconds", flat=True).first() or 0


def forward_share(*, token: str, open_id: int, visitor_key: str) -> MaterialShare:
    """The reader passes the page on: their own link (one per open, the same on a retry),
    credited to the employee of the chain's first share."""
    with transaction.atomic(durable=True):
        share = selectors.live_share(token=token)
        opened = _readers_open(share, open_id, visitor_key).select_for_update().first()
        if opened is None:
            raise not_found("open")
        existing = MaterialShare.objects.filter(parent_open=opened).first()
        if existing is not None:
            return existing
        if share.depth >= MAX_FORWARD_DEPTH:
            raise DomainError(ErrorCode.CONFLICT, "this page was forwarded too many times")
        return _create_share(
            material_id=share.material_id,
            employee_id=share.employee_id,
            root_id=share.root_id or share.pk,
            parent_open=opened,
            depth=share.depth + 1,
        )


@dataclass(frozen=True)
class InquiryIn:
    kind: str
    phone: str
    name: str = ""
    message: str = ""
    preferred_at: datetime | None = None


def _check_inquiry(request: InquiryIn) -> tuple[str, datetime | None]:
    """The phone in E.164 and the preferred time, or a 422."""
    if request.kind not in InquiryKind.values:
        raise DomainError(ErrorCode.INVALID, "an inquiry asks, books a visit or signs up for an event")
    if len(request.name) > MAX_NAME or len(request.message) > MAX_MESSAGE:
        raise DomainError(ErrorCode.INVALID, f"a name has at most {MAX_NAME}, a message {MAX_MESSAGE} characters")
    e164 = normalize_phone(request.phone)
    when = request.preferred_at
    if request.kind in TIMED_KINDS:
        now = timezone.now()
        if when is None:
            raise DomainError(ErrorCode.INVALID, "a visit or an event needs the preferred time")
        if timezone.is_naive(when) or not now <= when <= now + MAX_BOOKING_AHEAD:
            raise DomainError(ErrorCode.INVALID, "the preferred time is a time with its zone, within the next year")
    elif request.kind == InquiryKind.ASK:
        when = None
    return e164, when


def submit_inquiry(
    *,
    token: str,
    request: InquiryIn,
    visitor_key: str = "",
    member: Member | None = None,
    client: str = "",
) -> Inquiry:
    """A reader asks, books a visit or signs up for an event: a lead by phone for the credited
    employee and their follow-up due today, committed together. Budgets per client address and
    per visitor."""
    hashed = visitor_hash(visitor_key) if visitor_key else ""
    e164, when = _check_inquiry(request)
    selectors.live_share(token=token)  # a dead link spends no budget
    if client:
        _spend_or_refuse("O2O_TOOLBOX_INQUIRIES_PER_CLIENT", "toolbox-inquiry", client)
    if hashed:
        _spend_or_refuse("O2O_TOOLBOX_INQUIRIES_PER_VISITOR", "toolbox-inquiry-visitor", hashed)
    with transaction.atomic(durable=True):
        share = selectors.live_share(token=token)
        lead = capture_lead(
            employee_id=share.employee_id,
            phone=e164,
            name=request.name.strip(),
            source=Source.INQUIRY,
            note=request.message.strip(),
        )
        inquiry = Inquiry.objects.create(
            share=share,
            employee_id=share.employee_id,
            kind=request.kind,
            name=request.name.strip(),
            phone=e164,
            message=request.message.strip(),
            preferred_at=when,
            member=member,
            lead=lead,
        )
        follow_up_captured_lead(
            lead_id=lead.pk,
            due_on=timezone.localdate(),
            kind="visit" if inquiry.kind == InquiryKind.VISIT else "call",
            note=f"{inquiry.get_kind_display()}: {inquiry.message}"[:500],
        )
    return inquiry

