"""Reads: a member's preferences and notifications, the templates (HQ), one template's text."""

from dataclasses import dataclass

from django.core.cache import cache
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


# How long a process may keep a template's text: HQ's edit reaches every process within this
# (at once with a shared cache, CACHE_LOCATION). Each message of each paid order reads it.
TEMPLATE_CACHE_SECONDS = 60


def template_key(*, kind: str, language: str, channel: str) -> str:
    return f"o2o:template:{kind}:{language}:{channel}"


def template_text(*, kind: str, language: str, channel: str) -> tuple[str, str]:
    """(body, WeChat template id) of a kind in a language on a channel; the built-in default when
    HQ has no row for it. Read through the cache (update_template clears its key)."""
    key = template_key(kind=kind, language=language, channel=channel)
    found = cache.get(key)
    if found is None:
        row = NotificationTemplate.objects.filter(kind=kind, language=language, channel=channel).first()
        found = (row.body, row.wechat_template_id) if row is not None else (default_body(kind, language, channel), "")
        cache.set(key, found, TEMPLATE_CACHE_SECONDS)
    return found


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
