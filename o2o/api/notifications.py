"""Customer notifications (docs/notifications.md): a member's channels, language and messages;
HQ's texts by kind, language and channel. Every rule lives in o2o.notifications."""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id
from o2o.notifications import selectors, services
from o2o.notifications.models import Kind, Notification, NotificationTemplate

me_router = Router(tags=["notifications"])  # /me
templates_router = Router(tags=["notifications"])  # /notification-templates

ChannelName = Annotated[str, Field(min_length=1, max_length=20)]


class PreferencesIn(Schema):
    channels: list[ChannelName] = Field(max_length=3)
    language: str = Field(max_length=10)


class PreferencesOut(Schema):
    channels: list[str]
    language: str


class NotificationOut(Schema):
    id: int
    kind: str
    order_id: int | None
    order_number: str | None
    language: str
    text: str
    channels: list[str]
    created_at: datetime

    @staticmethod
    def resolve_order_number(obj: Notification) -> str | None:
        return obj.order.number if obj.order_id else None

    @staticmethod
    def resolve_channels(obj: Notification) -> list[str]:
        return sorted(m.channel for m in obj.messages.all())


class TemplateOut(Schema):
    id: int
    kind: str
    language: str
    channel: str
    body: str
    wechat_template_id: str
    placeholders: list[str]
    updated_at: datetime

    @staticmethod
    def resolve_placeholders(obj: NotificationTemplate) -> list[str]:
        from o2o.notifications.defaults import PLACEHOLDERS

        return sorted(PLACEHOLDERS[obj.kind])


class TemplateIn(Schema):
    body: str = Field(min_length=1, max_length=1000)
    wechat_template_id: str | None = Field(default=None, max_length=64)


class TemplatesQuery(Schema):
    kind: Kind | None = None


@me_router.get("/notification-preferences", response=PreferencesOut)
def my_preferences(request: HttpRequest):
    """The signed-in member's channels and language (SMS in Simplified Chinese until they choose)."""
    member = actor(request).require_member()
    return selectors.preferences_of(member_id=member.pk)


@me_router.put("/notification-preferences", response=PreferencesOut)
def set_my_preferences(request: HttpRequest, payload: PreferencesIn):
    """Choose channels (sms, wechat, push: at least one) and language (zh-hans, en)."""
    return services.set_preferences(actor=actor(request), channels=payload.channels, language=payload.language)


@me_router.get("/notifications", response=list[NotificationOut])
@paginate(CursorPagination, ordering=("-created_at", "-pk"))
def my_notifications(request: HttpRequest):
    """What the signed-in member was told, newest first (pickup codes masked)."""
    member = actor(request).require_member()
    return selectors.notifications_of(member_id=member.pk)


@templates_router.get("", response=list[TemplateOut])
def list_templates(request: HttpRequest, query: Query[TemplatesQuery]):
    """Every text by kind, language and channel, with the placeholders each kind may use."""
    return list(services.templates_for(actor=actor(request), kind=query.kind))


@templates_router.put("/{template_id}", response=TemplateOut)
def update_template(request: HttpRequest, template_id: Id, payload: TemplateIn):
    """Change a text; a placeholder the kind does not have is a 422 (`invalid`, with `unknown`)."""
    return services.update_template(
        actor=actor(request),
        template_id=template_id,
        body=payload.body,
        wechat_template_id=payload.wechat_template_id,
    )
