"""Campaign management above the orders: segments of members, grants of coupons to a segment,
message templates and broadcasts through the outbox (docs/marketing.md).

The campaign itself (`pricing.Campaign`) lives below the offer apps so that every offer and every
order discount can name it; this app only reads and manages it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A set of members described by rules (o2o.marketing.rules): evaluated live, never stored."""

    name = models.CharField(_("name"), max_length=120)
    rules = models.JSONField(_("rules"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class SegmentGrant(models.Model):
    """A coupon template granted to every member of a segment (less the campaign's control group),
    as counted when it ran. The coupons carry the reference "segment-grant:<id>"."""

    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="grants")
    template = models.ForeignKey(
        "coupons.CouponTemplate", on_delete=models.PROTECT, related_name="segment_grants", verbose_name=_("coupon")
    )
    campaign = models.ForeignKey(
        "pricing.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="segment_grants"
    )
    members = models.PositiveIntegerField(_("members in the segment"), default=0)
    granted = models.PositiveIntegerField(_("granted"), default=0)
    already = models.PositiveIntegerField(_("already held"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    held_out = models.PositiveIntegerField(_("held out (control group)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment grant")
        verbose_name_plural = _("segment grants")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    members__gte=models.F("granted") + models.F("already") + models.F("refused") + models.F("held_out")
                ),
                name="segmentgrant_counts_within_members",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"segment-grant:{self.pk}"


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat template message")
    PUSH = "push", _("app push")


class MessageTemplate(models.Model):
    """A marketing message; {name} in the body becomes the member's name."""

    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel.choices)
    body = models.TextField(_("body"), max_length=500)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=MessageChannel.values), name="messagetemplate_channel_valid"
            ),
            models.CheckConstraint(condition=~Q(body=""), name="messagetemplate_body_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class BroadcastState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    DONE = "done", _("done")


class Broadcast(models.Model):
    """A message template sent to a segment once: at `scheduled_at` by the periodic job, or now."""

    campaign = models.ForeignKey(
        "pricing.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="broadcasts"
    )
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="broadcasts")
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="broadcasts")
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=BroadcastState.choices, default=BroadcastState.DRAFT)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=BroadcastState.values), name="broadcast_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=BroadcastState.SCHEDULED) | Q(scheduled_at__isnull=False),
                name="broadcast_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=BroadcastState.DONE) | Q(sent_at__isnull=False), name="broadcast_done_has_time"
            ),
        ]
        indexes = [models.Index(fields=["state", "scheduled_at"], name="broadcast_state_due")]

    def __str__(self) -> str:
        return f"{self.template} -> {self.segment}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SKIPPED_NO_CONSENT = "skipped_no_consent", _("skipped: no marketing consent")
    SKIPPED_CAP = "skipped_cap", _("skipped: frequency cap")
    SKIPPED_CONTROL = "skipped_control", _("skipped: control group")


class BroadcastDelivery(models.Model):
    """What a broadcast did for one member: one row per (broadcast, member), so sending twice sends
    once. Queued rows point at their outbox message, whose state says sent or failed."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.PROTECT, related_name="deliveries")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="broadcast_deliveries")
    outbox_message = models.OneToOneField(
        "core.OutboxMessage", null=True, blank=True, on_delete=models.PROTECT, related_name="broadcast_delivery"
    )
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("broadcast delivery")
        verbose_name_plural = _("broadcast deliveries")
        constraints = [
            models.UniqueConstraint(fields=["broadcast", "member"], name="broadcastdelivery_once_per_member"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="broadcastdelivery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.QUEUED, outbox_message__isnull=False)
                | (~Q(status=DeliveryStatus.QUEUED) & Q(outbox_message__isnull=True)),
                name="broadcastdelivery_queued_has_message",
            ),
        ]
        indexes = [models.Index(fields=["member", "status", "created_at"], name="broadcastdelivery_cap")]

    def __str__(self) -> str:
        return f"{self.broadcast_id}:{self.member_id} {self.status}"


class TagRule(models.Model):
    """A chain-level member tag kept by a segment's rules: a periodic job puts the tag on every
    member now in the segment and takes it off those who left (o2o.marketing.tag_rules). One rule
    per tag; switching a rule off takes its tags off."""

    tag = models.CharField(_("tag"), max_length=40, unique=True)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="tag_rules", verbose_name=_("segment"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    refreshed_at = models.DateTimeField(_("last refreshed"), null=True, blank=True)

    class Meta:
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")
        ordering = ["tag"]
        constraints = [models.CheckConstraint(condition=~Q(tag=""), name="tagrule_not_blank")]

    def __str__(self) -> str:
        return self.tag
