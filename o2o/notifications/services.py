"""Writes: tell a member about their order (once per state change), remind of pickups, send a
marketing message (only with consent), a member's preferences, HQ's template texts.

Exactly once: the Notification row is unique per (order, kind) — per voucher for the reminder —
and is inserted with ON CONFLICT DO NOTHING RETURNING in the transaction of the change. The writer
whose insert went in queues the outbox messages; anyone else (a replayed event, a retried payment
callback, a second worker) inserts nothing and sends nothing. The outbox then
delivers each message at least once, never twice at the same time (core.messaging)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.inserts import insert_unless_conflicting
from o2o.core.messaging import queue_message
from o2o.core.sql import insert_model
from o2o.members.models import Member
from o2o.notifications import selectors
from o2o.notifications.channels import recipient_for
from o2o.notifications.defaults import PLACEHOLDERS, all_defaults
from o2o.notifications.models import (
    Channel,
    Kind,
    Language,
    Notification,
    NotificationMessage,
    NotificationPreference,
    NotificationTemplate,
)
from o2o.notifications.rendering import (
    SECRET,
    TemplateError,
    check_wechat_fields,
    for_channel,
    render,
    unknown_placeholders,
)
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, Order
from o2o.pickup.models import PickupVoucher

_PICKUP_NUMBER = {Language.ZH_HANS: "（取货号{}）", Language.EN: " (number {})"}
_SOON = {Language.ZH_HANS: "尽快", Language.EN: "soon"}


# --- telling a member about their order


def notify_order(*, order: Order, kind: Kind, eta: datetime | None = None) -> Notification | None:
    """Inside the transaction that moved the order. None when there is nobody to tell (no member:
    a walk-in at the counter; an anonymised member) or when this change was told already."""
    member = _member_of(order)
    if member is None:
        return None
    voucher = _voucher_of(order) if "pickup_code" in PLACEHOLDERS[kind] else None
    return _tell(member, kind, order=order, voucher=voucher, eta=eta)


def notify_paid(*, order: Order) -> Notification | None:
    """A pickup order's message carries its pickup code (endless-aisle orders too: the counter's
    receipt is paper, this is what the customer keeps). A sale at the counter is not told: the
    customer holds the receipt and the goods."""
    if order.fulfilment == Fulfilment.IN_STORE:
        return None
    return notify_order(order=order, kind=Kind.PAID_PICKUP if order.fulfilment == Fulfilment.PICKUP else Kind.PAID)


def notify_incident(*, order: Order, reference: str, remedy: Callable[[], str]) -> Notification | None:
    """Tell the order's member what was done about a failure of their order (a refund, an apology
    coupon, a re-delivery...), once per `reference` (the incident action told of), in the member's
    language on their channels. Transactional: no marketing consent asked. `remedy` gives the
    sentence; it is called in the member's language. Inside the remedy's transaction. None when
    there is nobody to tell (a walk-in, an anonymised member) or this action was told already."""
    member = _member_of(order)
    if member is None:
        return None
    with translation.override(selectors.preferences_for(member).language):
        text = str(remedy())
    return _tell(member, Kind.INCIDENT_UPDATE, order=order, remedy=text, reference=reference)


def remind_pickups(*, now: datetime | None = None, batch: int = 500) -> int:
    """The sweep: every voucher still issued that expires within O2O_PICKUP_REMINDER_HOURS gets one
    reminder (one transaction per voucher, the order locked first); returns how many were sent."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.O2O_PICKUP_REMINDER_HOURS)
    reminded = Notification.objects.filter(kind=Kind.PICKUP_REMINDER, voucher=OuterRef("pk"))
    due = (
        PickupVoucher.objects.filter(
            state=PickupVoucher.State.ISSUED,
            expires_at__gt=now,
            expires_at__lte=horizon,
            order__member__isnull=False,
        )
        .exclude(Exists(reminded))
        .order_by("expires_at", "pk")
    )
    sent = 0
    for voucher_id, order_id in list(due.values_list("pk", "order_id")[:batch]):
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            voucher = PickupVoucher.objects.get(pk=voucher_id)
            member = _member_of(order)
            if voucher.state != PickupVoucher.State.ISSUED or voucher.expires_at <= now or member is None:
                continue
            if _tell(member, Kind.PICKUP_REMINDER, order=order, voucher=voucher) is not None:
                sent += 1
    return sent


def send_marketing(*, member_id: int, content: str) -> Notification | None:
    """A marketing message on the member's channels, only with their marketing consent (None
    without it). Transactional messages never ask for consent; this one always does."""
    member = Member.objects.filter(pk=member_id, anonymised_at__isnull=True).first()
    if member is None or not member.marketing_consent:
        return None
    return _tell(member, Kind.MARKETING, content=content)


def _member_of(order: Order) -> Member | None:
    if order.member_id is None:
        return None  # an order has no phone of its own: a walk-in without membership is not told
    if Order.member.is_cached(order) and Member.notification_preference.is_cached(order.member):
        # read with the order in this transaction (the paid callback's lock): no second look
        return None if order.member.anonymised_at else order.member
    live = Member.objects.filter(pk=order.member_id, anonymised_at__isnull=True)
    return live.select_related("notification_preference").first()  # with the channels and language


def _voucher_of(order: Order) -> PickupVoucher | None:
    """The order's pickup voucher: the one issue_voucher left on the order in this transaction, or read."""
    if Order.pickup_voucher.is_cached(order):
        return order.pickup_voucher
    return PickupVoucher.objects.filter(order_id=order.pk).first()


def _tell(
    member: Member,
    kind: str,
    *,
    order=None,
    voucher=None,
    eta=None,
    content: str = "",
    remedy: str = "",
    reference: str = "",
) -> Notification | None:
    prefs = selectors.preferences_for(member)
    context = _context(member, prefs.language, order=order, voucher=voucher, eta=eta, content=content)
    context["remedy"] = remedy
    texts = {ch: selectors.template_text(kind=kind, language=prefs.language, channel=ch) for ch in prefs.channels}
    code = voucher.display_code if voucher is not None else ""
    masked = f"**** **** {voucher.code[-4:]}" if voucher is not None else ""
    first = texts[prefs.channels[0]][0]
    shown = " ".join(line.partition(":")[2].strip() or line for line in first.splitlines())
    if prefs.channels[0] != Channel.WECHAT:
        shown = first
    notification = _claim(
        Notification(
            member=member,
            kind=kind,
            order=order,
            voucher=voucher if kind == Kind.PICKUP_REMINDER else None,
            language=prefs.language,
            text=render(shown, {**context, "pickup_code": masked}),
            reference=reference,
        )
    )
    if notification is None:
        return None
    for channel, (body, wechat_template_id) in texts.items():
        uses_code = "pickup_code" in PLACEHOLDERS[kind] and "{pickup_code}" in body
        message = queue_message(
            channel=channel,
            recipient=recipient_for(channel, member),
            subject=_subject(channel, wechat_template_id, kind, order),
            body=for_channel(channel, render(body, {**context, "pickup_code": SECRET})),
            secret=code if uses_code else "",
        )
        insert_model(NotificationMessage(notification=notification, channel=channel, message=message))
    return notification


def _claim(notification: Notification) -> Notification | None:
    """Insert unless this change was told already (a unique constraint per order, voucher or
    incident update says so): the row back only to the writer that inserted it."""
    if notification.kind == Kind.MARKETING:
        notification.save()
        return notification
    return notification if insert_unless_conflicting(notification) else None


def _context(member: Member, language: str, *, order, voucher, eta, content: str) -> dict[str, str]:
    context = {"name": member.name, "content": content}
    if order is not None:
        store = order.fulfilment_location.name
        amount = order.refunded_total if order.refunded_total else order.total
        context |= {"order_number": order.number, "store": store, "amount": f"{amount:.2f}", "eta": _eta(eta, language)}
    if voucher is not None:
        number = getattr(voucher, "display_number", "")  # the short number, where pickup issues one
        context["pickup_number"] = _PICKUP_NUMBER[language].format(number) if number else ""
        context["expires_at"] = timezone.localtime(voucher.expires_at).strftime("%Y-%m-%d %H:%M")
    return context


def _eta(eta: datetime | None, language: str) -> str:
    if eta is None:
        return _SOON[language]
    local = timezone.localtime(eta)
    return local.strftime("%H:%M") if local.date() == timezone.localdate() else local.strftime("%m-%d %H:%M")


def _subject(channel: str, wechat_template_id: str, kind: str, order) -> str:
    if channel == Channel.WECHAT:
        return wechat_template_id or kind
    if channel == Channel.PUSH:
        return order.number if order is not None else str(Kind(kind).label)
    return ""


# --- a member's preferences


@transaction.atomic(durable=True)
def set_preferences(*, actor: Actor, channels: list[str], language: str) -> selectors.Preferences:
    """Which channels (at least one) and which language. One upsert: two devices saving at once
    leave one of the two choices, never an error."""
    member = actor.require_member()
    authorize(actor, Operation.SET_NOTIFICATION_PREFERENCES)
    chosen = set(channels)
    if unknown := sorted(chosen - set(Channel.values)):
        raise DomainError(ErrorCode.INVALID, "unknown channel", channels=unknown)
    if not chosen:
        raise DomainError(ErrorCode.INVALID, "choose at least one channel")
    if language not in Language.values:
        raise DomainError(ErrorCode.INVALID, "unknown language", language=language)
    row = NotificationPreference(member=member, language=language, **{c: c in chosen for c in Channel.values})
    NotificationPreference.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["member"],
        update_fields=[*Channel.values, "language", "updated_at"],
    )
    return selectors.preferences_of(member_id=member.pk)


# --- HQ's templates


def check_template(*, kind: str, channel: str, body: str) -> None:
    """DomainError (422) for a text that is empty, not a template, or uses a placeholder this kind
    does not have."""
    if not body.strip():
        raise DomainError(ErrorCode.INVALID, "the text is empty")
    try:
        unknown = unknown_placeholders(kind, body)
        if channel == Channel.WECHAT:
            check_wechat_fields(body)
    except TemplateError as exc:
        raise DomainError(ErrorCode.INVALID, str(exc)) from exc
    if unknown:
        raise DomainError(
            ErrorCode.INVALID,
            f"unknown placeholder: {', '.join('{' + u + '}' for u in unknown)}",
            unknown=unknown,
            allowed=sorted(PLACEHOLDERS[kind]),
        )


def ensure_templates() -> None:
    """A row for every kind, language and channel (the built-in text where HQ has none yet): the
    data migration seeds them, this puts back any a database flush took (tests, a restore)."""
    NotificationTemplate.objects.bulk_create(
        [NotificationTemplate(kind=k, language=lang, channel=ch, body=body) for k, lang, ch, body in all_defaults()],
        ignore_conflicts=True,
    )


def templates_for(*, actor: Actor, kind: str | None = None):
    """The texts HQ edits (a read behind the same operation as the edit)."""
    authorize(actor, Operation.MANAGE_NOTIFICATION_TEMPLATES)
    return selectors.templates(kind=kind)


@transaction.atomic(durable=True)
def update_template(
    *, actor: Actor, template_id: int, body: str, wechat_template_id: str | None = None
) -> NotificationTemplate:
    authorize(actor, Operation.MANAGE_NOTIFICATION_TEMPLATES)
    template = selectors.get_template(template_id=template_id)
    check_template(kind=template.kind, channel=template.channel, body=body)
    changes = {"body": body, "updated_by": actor.user, "updated_at": timezone.now()}
    if wechat_template_id is not None:
        changes["wechat_template_id"] = wechat_template_id.strip()
    NotificationTemplate.objects.filter(pk=template.pk).update(**changes)
    key = selectors.template_key(kind=template.kind, language=template.language, channel=template.channel)
    cache.delete(key)  # this process reads the new text now
    transaction.on_commit(partial(cache.delete, key))  # and no reader keeps the old one it read meanwhile
    template.refresh_from_db()
    return template
