"""Customer notifications: what we tell a member when their order moves (docs/notifications.md).

A Notification is the fact "this member was told about this state change", unique per (order,
kind) — per voucher for the pickup reminder — and written with ON CONFLICT DO NOTHING in the
transaction of the change, so a replayed event, a retried payment callback or two workers write it
once. Each of the member's chosen channels gets one outbox message (NotificationMessage)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat subscription message")
    PUSH = "push", _("app push")


class Kind(models.TextChoices):
    PAID = "paid", _("paid")
    PAID_PICKUP = "paid_pickup", _("paid (pickup order, with its code)")
    READY_FOR_PICKUP = "ready_for_pickup", _("ready for pickup")
    PICKUP_REMINDER = "pickup_reminder", _("pickup reminder")
    PICKED_UP = "picked_up", _("picked up")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
    DELIVERED = "delivered", _("delivered")
    REFUNDED = "refunded", _("refunded")
    INCIDENT_UPDATE = "incident_update", _("incident remedy")
    MARKETING = "marketing", _("marketing")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


MARKETING_KINDS = frozenset({Kind.MARKETING})


class NotificationTemplate(models.Model):
    """The text of one kind of message in one language for one channel, edited by HQ. For WeChat
    the body is one `field: text` line per data field of the subscription template."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    body = models.TextField(_("text"))
    wechat_template_id = models.CharField(_("WeChat template id"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["kind", "language", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language", "channel"], name="notificationtemplate_one_per_key"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notificationtemplate_kind_valid"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="notificationtemplate_lang_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="notificationtemplate_channel_valid"),
            models.CheckConstraint(condition=~Q(body=""), name="notificationtemplate_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.language}/{self.channel}"


class NotificationPreference(models.Model):
    """A member's channels and language. No row: SMS only, in Simplified Chinese."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="notification_preference")
    sms = models.BooleanField(_("SMS"), default=True)
    wechat = models.BooleanField(_("WeChat"), default=False)
    push = models.BooleanField(_("app push"), default=False)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(sms=True) | Q(wechat=True) | Q(push=True), name="notificationpreference_one_channel"
            ),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="notificationpreference_lang_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {','.join(self.channels)}"

    @property
    def channels(self) -> list[str]:
        return [c for c in Channel.values if getattr(self, c)]


class Notification(models.Model):
    """One member told once about one state change, or one incident remedy (or one marketing message)."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    voucher = models.ForeignKey(
        "pickup.PickupVoucher", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    # What the member reads in their list: the text of the first channel, the pickup code masked.
    text = models.TextField(_("text"))
    # What an incident update is about (the incident action it tells of, "incident-action:<id>"):
    # an order can have several, each told once. Empty for every other kind.
    reference = models.CharField(max_length=80, blank=True, default="")
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(order__isnull=False) & ~Q(kind__in=["pickup_reminder", "incident_update"]),
                name="notification_once_per_order_kind",
            ),
            models.UniqueConstraint(
                fields=["order", "reference"],
                condition=Q(kind="incident_update"),
                name="notification_incident_update_once",
            ),
            models.CheckConstraint(
                condition=~Q(kind="incident_update") | ~Q(reference=""), name="notification_incident_has_reference"
            ),
            models.UniqueConstraint(
                fields=["voucher"], condition=Q(kind="pickup_reminder"), name="notification_reminder_once_per_voucher"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind="pickup_reminder") | Q(voucher__isnull=False),
                name="notification_reminder_has_voucher",
            ),
            models.CheckConstraint(
                condition=Q(kind="marketing") | Q(order__isnull=False), name="notification_transactional_has_order"
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at"], name="notification_member_recent")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.order_id}"


class NotificationMessage(models.Model):
    """The outbox message of one channel of a notification (its delivery state lives there)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    message = models.OneToOneField("core.OutboxMessage", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="notificationmessage_one_per_channel"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="notificationmessage_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}"
