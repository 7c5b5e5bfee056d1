"""Reads: a member's preferences and notifications, the templates (HQ), one template's text."""

from dataclasses import dataclass

from django.db.models import QuerySet

from o2o.core.errors import not_found
from o2o.members.models import Member
from o2o.notifications.defaults import default_body
from o2o.notifications.models import Channel, Language, Notification, NotificationPreference, NotificationTemplate


@dataclass(frozen=True)
class Preferences:
    channels: tuple[str, ...]
    language: str


DEFAULT_PREFERENCES = Preferences(channels=(Channel.SMS.value,), language=Language.ZH_HANS.value)


def preferences_of(*, member_id: int) -> Preferences:
    return _preferences(NotificationPreference.objects.filter(member_id=member_id).first())


def preferences_for(member: Member) -> Preferences:
    """The member's preferences: the row read with the member (`select_related`), or read now."""
    if not Member.notification_preference.is_cached(member):
        return preferences_of(member_id=member.pk)
    return _preferences(getattr(member, "notification_preference", None))  # None: the member has no row


def _preferences(row: NotificationPreference | None) -> Preferences:
    if row is None:
        return DEFAULT_PREFERENCES
    return Preferences(channels=tuple(row.channels), language=row.language)


def template_text(*, kind: str, language: str, channel: str) -> tuple[str, str]:
    """(body, WeChat template id) of a kind in a language on a channel; the built-in default when
    HQ has no row for it."""
    row = NotificationTemplate.objects.filter(kind=kind, language=language, channel=channel).first()
    if row is None:
        return default_body(kind, language, channel), ""
    return row.body, row.wechat_template_id


def notifications_of(*, member_id: int) -> QuerySet[Notification]:
    """A member's notifications, newest first, with the channels each went out on."""
    return (
        Notification.objects.filter(member_id=member_id)
        .select_related("order")
        .prefetch_related("messages")
        .order_by("-created_at", "-pk")
    )


def templates(*, kind: str | None = None) -> QuerySet[NotificationTemplate]:
    rows = NotificationTemplate.objects.order_by("kind", "language", "channel")
    return rows.filter(kind=kind) if kind else rows


def get_template(*, template_id: int) -> NotificationTemplate:
    row = NotificationTemplate.objects.filter(pk=template_id).first()
    if row is None:
        raise not_found("notification template")
    return row
