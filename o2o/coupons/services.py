"""Coupons: define templates, issue coupons (claim, grant, remedy), redeem and give them back.

Published interface (other apps call these; docs/coupons.md):
`claim_coupon`, `grant_coupon`, `grant_coupons`, `grant_remedy_coupon`, `create_template`,
`set_template_active`. Grants run in the caller's transaction (a savepoint each), so a reward
given inside another service commits or rolls back with it; `claim_coupon` is a request of its own.

Issuing one coupon (`_issue`), always in this order:
1. the template's `issued_count` goes up by ONE conditional UPDATE (active, in its window, under
   quota) — this also locks the template row, so issues of one template queue here;
2. the member's coupons of the template are counted (after the lock, so a racing claim of the
   same member that committed first is seen) against `per_member_limit`;
3. the coupon is inserted in the next slot; UNIQUE (template, member, slot) and UNIQUE (template,
   member, reference) are the last guards. Any refusal rolls back the savepoint, increment included.

Redemption (`redeem_chosen_coupons`, the order claimer) and giving back (`give_back_*`, the order
event handlers) are each one conditional UPDATE.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU, Category
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import to_money
from o2o.coupons.models import (
    ChannelScope,
    Coupon,
    CouponKind,
    CouponSource,
    CouponState,
    CouponTemplate,
    OnReturn,
)
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.pricing.models import Campaign
from o2o.stores.models import Location

MAX_REFERENCE = 80
MAX_BULK = 10_000
MAX_MONEY = Decimal("100000.00")


@dataclass(frozen=True)
class GrantOutcome:
    granted: int  # new coupons issued
    already: int  # the member had this grant already (same reference)
    refused: int  # over quota, over the per-member limit, or not a member
    held_out: int = 0  # in the campaign's control group: offered nothing


# --- issuing ------------------------------------------------------------------------------------


def _issuable(now: datetime):
    return CouponTemplate.objects.filter(is_active=True).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))


def _validity(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime]:
    if template.valid_days is not None:
        return now, now + timedelta(days=template.valid_days)
    return template.valid_from, template.valid_until


def _issue(
    *, template_id: int, member_id: int, source: str, reference: str, issued_by_id: int | None, now: datetime
) -> Coupon:
    """One coupon, in a savepoint of the caller's transaction (see the module docstring)."""
    try:
        with transaction.atomic():
            counted = (
                _issuable(now)
                .filter(pk=template_id)
                .filter(Q(quota__isnull=True) | Q(issued_count__lt=F("quota")))
                .update(issued_count=F("issued_count") + 1)
            )
            if not counted:
                if not _issuable(now).filter(pk=template_id).exists():
                    raise not_found("coupon template")
                raise DomainError(ErrorCode.COUPON_QUOTA_EXHAUSTED, "no coupons of this template are left")
            template = CouponTemplate.objects.get(pk=template_id)
            held = Coupon.objects.filter(template_id=template_id, member_id=member_id).count()
            if held >= template.per_member_limit:
                raise DomainError(
                    ErrorCode.COUPON_LIMIT_REACHED,
                    "this member holds as many as allowed",
                    limit=template.per_member_limit,
                )
            valid_from, valid_until = _validity(template, now)
            return Coupon.objects.create(
                template_id=template_id,
                member_id=member_id,
                slot=held + 1,
                valid_from=valid_from,
                valid_until=valid_until,
                source=source,
                reference=reference,
                issued_by_id=issued_by_id,
            )
    except IntegrityError:
        # A racing issue of the same member took the slot or the reference first.
        if reference and (existing := _granted(template_id, member_id, reference)) is not None:
            return existing
        raise DomainError(ErrorCode.COUPON_LIMIT_REACHED, "this member holds as many as allowed") from None


def _granted(template_id: int, member_id: int, reference: str) -> Coupon | None:
    return Coupon.objects.filter(template_id=template_id, member_id=member_id, reference=reference).first()


def _check_reference(reference: Any) -> str:
    if not isinstance(reference, str) or not 1 <= len(reference.strip()) <= MAX_REFERENCE:
        raise DomainError(ErrorCode.INVALID, f"a reference of 1 to {MAX_REFERENCE} characters is needed")
    return reference.strip()


def _check_source(source: Any) -> str:
    if source not in CouponSource.values or source == CouponSource.CLAIM:
        raise DomainError(ErrorCode.INVALID, "unknown coupon source", source=str(source))
    return source


def _held_out(template_id: int, member_id: int) -> bool:
    campaign = Campaign.objects.filter(coupon_templates__pk=template_id).only("pk", "control_percent").first()
    return campaign is not None and campaign.holds_out(member_id)


def claim_coupon(*, actor: Actor, template_id: int, idempotency_key: str | None = None) -> Coupon:
    """A member takes a coupon of a claimable, active template (the claim centre). Quota and the
    per-member limit hold when claims race; a retry with the same key returns the same coupon.
    A member in the campaign's control group is offered nothing (404, like a missing template)."""
    authorize(actor, Operation.CLAIM_COUPON)
    member = actor.require_member()

    def perform() -> dict:
        if not CouponTemplate.objects.filter(pk=template_id, claimable=True).exists() or _held_out(
            template_id, member.pk
        ):
            raise not_found("coupon template")
        coupon = _issue(
            template_id=template_id,
            member_id=member.pk,
            source=CouponSource.CLAIM,
            reference="",
            issued_by_id=None,
            now=timezone.now(),
        )
        return {"coupon_id": coupon.pk}

    result = run_once(
        scope=actor.idempotency_scope,
        operation="claim_coupon",
        key=idempotency_key,
        fingerprint=fingerprint(template_id=template_id),
        perform=perform,
    )
    return Coupon.objects.select_related("template").get(pk=result["coupon_id"])


def grant_coupon(
    *, template_id: int, member_id: int, source: str, reference: str, actor_id: int | None = None
) -> Coupon:
    """The platform or staff give a member a coupon (referral, red packet, check-in, remedy,
    registration). Idempotent on (template, member, reference): a repeat returns the coupon given
    the first time. No permission check here: the calling service decided (a reward the member
    earned, a grant a marketer was authorised for). The control group is the caller's decision
    too (`grant_coupons` applies it to segment pushes). Runs in the caller's transaction."""
    reference = _check_reference(reference)
    source = _check_source(source)
    if (existing := _granted(template_id, member_id, reference)) is not None:
        return existing
    if not Member.objects.filter(pk=member_id, anonymised_at__isnull=True).exists():
        raise not_found("member")
    return _issue(
        template_id=template_id,
        member_id=member_id,
        source=source,
        reference=reference,
        issued_by_id=actor_id,
        now=timezone.now(),
    )


def grant_coupons(
    *, template_id: int, member_ids: Iterable[int], source: str, reference: str, actor_id: int | None = None
) -> GrantOutcome:
    """A grant to many members (a segment): never over quota — grants what the quota allows and
    counts the rest refused; members already granted under this reference count as `already`;
    members in the campaign's control group are skipped (`held_out`)."""
    reference = _check_reference(reference)
    source = _check_source(source)
    wanted = list(dict.fromkeys(member_ids))
    if len(wanted) > MAX_BULK:
        raise DomainError(ErrorCode.INVALID, f"at most {MAX_BULK} members at a time")
    template = CouponTemplate.objects.select_related("campaign").filter(pk=template_id).first()
    if template is None:
        raise not_found("coupon template")
    already = set(
        Coupon.objects.filter(template_id=template_id, member_id__in=wanted, reference=reference).values_list(
            "member_id", flat=True
        )
    )
    existing = set(Member.objects.filter(pk__in=wanted, anonymised_at__isnull=True).values_list("pk", flat=True))
    granted = refused = held_out = 0
    now = timezone.now()
    with transaction.atomic():
        for member_id in wanted:
            if member_id in already:
                continue
            if member_id not in existing:
                refused += 1
            elif template.campaign is not None and template.campaign.holds_out(member_id):
                held_out += 1
            else:
                try:
                    _issue(
                        template_id=template_id,
                        member_id=member_id,
                        source=source,
                        reference=reference,
                        issued_by_id=actor_id,
                        now=now,
                    )
                    granted += 1
                except DomainError as refusal:
                    if refusal.code == ErrorCode.NOT_FOUND:
                        raise
                    refused += 1
    return GrantOutcome(granted=granted, already=len(already), refused=refused, held_out=held_out)


def grant_to_members(
    *,
    actor: Actor,
    template_id: int,
    reference: str,
    member_ids: Iterable[int] = (),
    phones: Iterable[str] = (),
) -> GrantOutcome:
    """A marketer's grant of a template to chosen members, by id or phone (the API's and pages'
    entry). Phones that are not valid or belong to no member are counted refused."""
    authorize(actor, Operation.GRANT_COUPONS)
    ids = list(member_ids)
    numbers: set[str] = set()
    unknown = 0
    for phone in dict.fromkeys(phones):
        try:
            numbers.add(normalize_phone(phone))
        except DomainError:
            unknown += 1
    if numbers:
        found = dict(Member.objects.filter(phone__in=numbers).values_list("phone", "pk"))
        unknown += len(numbers) - len(found)
        ids += found.values()
    with transaction.atomic(durable=True):
        outcome = grant_coupons(
            template_id=template_id,
            member_ids=ids,
            source=CouponSource.GRANT,
            reference=reference,
            actor_id=actor.user_id,
        )
    return replace(outcome, refused=outcome.refused + unknown)


def grant_remedy_coupon(*, actor: Actor, template_id: int, member_id: int, reason: str) -> Coupon:
    """Customer service's apology coupon (cs agent, store manager, HQ). The reason is the
    reference, so the same remedy asked twice gives one coupon."""
    authorize(actor, Operation.GRANT_REMEDY_COUPON)
    with transaction.atomic():
        return grant_coupon(
            template_id=template_id,
            member_id=member_id,
            source=CouponSource.REMEDY,
            reference=_check_reference(reason),
            actor_id=actor.user_id,
        )


def grant_registration_coupons(*, member_id: int) -> list[Coupon]:
    """The coupons of every active `on_registration` template for a member who just joined (skipping
    templates out of quota and campaigns holding the member out). Runs in the caller's transaction."""
    given = []
    for template in _issuable(timezone.now()).filter(on_registration=True).select_related("campaign"):
        if template.campaign is not None and template.campaign.holds_out(member_id):
            continue
        try:
            given.append(
                grant_coupon(
                    template_id=template.pk,
                    member_id=member_id,
                    source=CouponSource.REGISTRATION,
                    reference="registration",
                )
            )
        except DomainError:
            continue  # quota gone meanwhile: the member simply gets no gift of this template
    return given


# --- templates ----------------------------------------------------------------------------------

TEMPLATE_FIELDS = {
    "name",
    "description",
    "kind",
    "amount",
    "percent",
    "cap",
    "min_spend",
    "free_sku_id",
    "valid_from",
    "valid_until",
    "valid_days",
    "channel_scope",
    "location_ids",
    "category_ids",
    "sku_ids",
    "quota",
    "per_member_limit",
    "claimable",
    "on_registration",
    "on_return",
    "is_active",
    "campaign_id",
}


def _invalid(message: str, **extra: Any) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, **extra)


def _money(value: Any, name: str, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise _invalid(f"{name} is needed for this kind of coupon")
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid(f"{name} must be an amount", field=name) from None
    if not amount.is_finite() or amount <= 0 or amount != to_money(amount) or amount > MAX_MONEY:
        raise _invalid(f"{name} must be a positive amount in fen up to {MAX_MONEY}", field=name)
    return amount


def _min_spend(value: Any, *, required: bool) -> Decimal:
    if not required and (value is None or (not isinstance(value, bool) and value in (0, "0", "0.00"))):
        return Decimal("0.00")
    return _money(value, "min_spend", required=required)


def _whole(value: Any, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(f"{name} must be a whole number from {low} to {high}", field=name)
    return value


def _ids(model, ids: Any, name: str) -> list[int]:
    ids = list(dict.fromkeys(ids or []))
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise _invalid(f"{name} must be ids", field=name)
    if model.objects.filter(pk__in=ids).count() != len(ids):
        raise _invalid(f"unknown {name}", field=name)
    return ids


def _template_values(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Checked column values and scope ids; every refusal is INVALID (a 4xx), never a 500."""
    unknown = set(fields) - TEMPLATE_FIELDS
    if unknown:
        raise _invalid("unknown fields", fields=sorted(unknown))
    kind = fields.get("kind")
    if kind not in CouponKind.values:
        raise _invalid("unknown coupon kind", field="kind")
    name = str(fields.get("name") or "").strip()
    if not 1 <= len(name) <= 120:
        raise _invalid("a name of 1 to 120 characters is needed", field="name")
    values: dict[str, Any] = {
        "name": name,
        "description": str(fields.get("description") or "").strip()[:255],
        "kind": kind,
        "amount": _money(
            fields.get("amount"), "amount", required=kind in (CouponKind.AMOUNT_OFF, CouponKind.THRESHOLD)
        ),
        "percent": _whole(fields.get("percent"), "percent", 1, 99),
        "cap": _money(fields.get("cap"), "cap", required=False),
        "min_spend": _min_spend(fields.get("min_spend"), required=kind == CouponKind.THRESHOLD),
        "quota": _whole(fields.get("quota"), "quota", 1, 10_000_000),
        "per_member_limit": _whole(fields.get("per_member_limit", 1), "per_member_limit", 1, 100),
        "valid_days": _whole(fields.get("valid_days"), "valid_days", 1, 3660),
        "valid_from": fields.get("valid_from"),
        "valid_until": fields.get("valid_until"),
    }
    _check_kind(kind, values, fields)
    _check_validity(values)
    for flag in ("claimable", "on_registration", "is_active"):
        value = fields.get(flag, flag == "is_active")
        if not isinstance(value, bool):
            raise _invalid(f"{flag} must be true or false", field=flag)
        values[flag] = value
    values["channel_scope"] = fields.get("channel_scope") or ChannelScope.BOTH
    if values["channel_scope"] not in ChannelScope.values:
        raise _invalid("unknown channel scope", field="channel_scope")
    values["on_return"] = fields.get("on_return") or OnReturn.RESTORE
    if values["on_return"] not in OnReturn.values:
        raise _invalid("on_return is restore or void", field="on_return")
    campaign_id = fields.get("campaign_id")
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
        raise _invalid("unknown campaign", field="campaign_id")
    values["campaign_id"] = campaign_id
    scope = {
        "locations": _ids(Location, fields.get("location_ids"), "location_ids"),
        "categories": _ids(Category, fields.get("category_ids"), "category_ids"),
        "skus": _ids(SKU, fields.get("sku_ids"), "sku_ids"),
    }
    return values, scope


def _check_kind(kind: str, values: dict[str, Any], fields: dict[str, Any]) -> None:
    if kind != CouponKind.PERCENT_OFF and (values["percent"] is not None or values["cap"] is not None):
        raise _invalid("percent and cap belong to percent-off coupons")
    if kind in (CouponKind.PERCENT_OFF, CouponKind.FREE_ITEM) and values["amount"] is not None:
        raise _invalid("this kind of coupon takes no amount", field="amount")
    if kind == CouponKind.PERCENT_OFF and values["percent"] is None:
        raise _invalid("percent is needed for a percent-off coupon", field="percent")
    if kind == CouponKind.THRESHOLD and values["min_spend"] < values["amount"]:
        raise _invalid("the amount off cannot be more than the spend it needs", field="amount")
    free_sku_id = fields.get("free_sku_id")
    if kind == CouponKind.FREE_ITEM:
        if (
            isinstance(free_sku_id, bool)
            or not isinstance(free_sku_id, int)
            or not SKU.objects.filter(pk=free_sku_id).exists()
        ):
            raise _invalid("a free-item coupon names an existing SKU", field="free_sku_id")
    elif free_sku_id is not None:
        raise _invalid("only a free-item coupon names a free SKU", field="free_sku_id")
    values["free_sku_id"] = free_sku_id if kind == CouponKind.FREE_ITEM else None


def _check_validity(values: dict[str, Any]) -> None:
    window = values["valid_from"], values["valid_until"]
    if values["valid_days"] is not None:
        if window != (None, None):
            raise _invalid("a coupon is valid for a window or for days after issue, not both")
        return
    if not all(isinstance(moment, datetime) for moment in window):
        raise _invalid("a validity window (from and until) or valid_days is needed")
    if any(timezone.is_naive(moment) for moment in window) or window[1] <= window[0]:
        raise _invalid("the validity window must end after it starts (with a time zone)")


def create_template(*, actor: Actor, **fields: Any) -> CouponTemplate:
    """A marketer (or HQ, or the online operator) defines a coupon. See TEMPLATE_FIELDS; scope
    lists are ids (`location_ids`, `category_ids`, `sku_ids`: empty means all)."""
    authorize(actor, Operation.MANAGE_COUPON_TEMPLATES)
    values, scope = _template_values(fields)
    with transaction.atomic():
        template = CouponTemplate.objects.create(**values, created_by=actor.user if actor.user else None)
        for relation, ids in scope.items():
            if ids:
                getattr(template, relation).set(ids)
    return template


def set_template_active(*, actor: Actor, template_id: int, active: bool) -> CouponTemplate:
    """Switch a template on or off: off, nobody can claim or be granted it (coupons already issued
    stay usable until they expire)."""
    authorize(actor, Operation.MANAGE_COUPON_TEMPLATES)
    if not isinstance(active, bool):
        raise _invalid("active must be true or false")
    if not CouponTemplate.objects.filter(pk=template_id).update(is_active=active):
        raise not_found("coupon template")
    return CouponTemplate.objects.get(pk=template_id)


# --- redemption and giving back -----------------------------------------------------------------


def redeem(*, coupon_id: int, member_id: int | None, order_id: int) -> None:
    """Mark the chosen coupon used by this order: ONE conditional UPDATE (still the member's,
    available and in date). Two orders racing for one coupon: the second finds it used."""
    now = timezone.now()
    used = Coupon.objects.filter(
        pk=coupon_id, member_id=member_id, state=CouponState.AVAILABLE, valid_from__lte=now, valid_until__gt=now
    ).update(state=CouponState.USED, order_id=order_id, used_at=now)
    if not used:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this coupon cannot be used", coupon_id=coupon_id)


def give_back_unpaid(*, order_id: int) -> int:
    """An unpaid order was cancelled or expired: its coupon is available again (it still expires
    by its own date)."""
    return Coupon.objects.filter(order_id=order_id, state=CouponState.USED).update(
        state=CouponState.AVAILABLE, order_id=None, used_at=None
    )


def give_back_refunded(*, order_id: int) -> int:
    """A paid order was refunded in full (cancelled, uncollected, or everything returned): restore
    or void its coupon as its template says."""
    used = Coupon.objects.filter(order_id=order_id, state=CouponState.USED)
    restored = used.filter(template__on_return=OnReturn.RESTORE).update(
        state=CouponState.AVAILABLE, order_id=None, used_at=None
    )
    voided = used.filter(template__on_return=OnReturn.VOID).update(
        state=CouponState.VOID, order_id=None, used_at=None, voided_note=f"order:{order_id} refunded"
    )
    return restored + voided
