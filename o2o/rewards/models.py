"""Rewards that bring customers: member referral (老带新), red packets (红包) and the linked
online-offline campaigns (a store's check-in QR). Every reward given is one `RewardGrant` row,
attributed to its campaign, channel and store (the campaign report reads them).

Invariants live in the database: a friend is referred once; one rewarded referral per device,
phone and delivery address; one red-packet share per member per packet and never more shares than
cut; one check-in per member per point (per day when the point allows it); one grant per reference.
The writes are in `services.py`."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    IN_STORE = "in_store", _("in store")


class RewardKind(models.TextChoices):
    WALLET_CREDIT = "wallet_credit", _("wallet credit")
    POINTS = "points", _("points")
    COUPON = "coupon", _("coupon")


class Source(models.TextChoices):
    REFERRAL = "referral", _("referral")
    RED_PACKET = "red_packet", _("red packet")
    CHECK_IN = "check_in", _("check-in")


def _reward_checks(prefix: str, name: str) -> list[models.CheckConstraint]:
    """A reward set (coupon template / points / wallet credit): none negative."""
    return [
        models.CheckConstraint(condition=Q(**{f"{prefix}points__gte": 0}), name=f"{name}_{prefix}points_not_negative"),
        models.CheckConstraint(condition=Q(**{f"{prefix}credit__gte": 0}), name=f"{name}_{prefix}credit_not_negative"),
    ]


class ReferralProgram(models.Model):
    """What a referral gives the referrer and the friend when the friend's first order completes.
    One program is active at a time (its share links lead to it)."""

    campaign = models.ForeignKey("pricing.Campaign", on_delete=models.PROTECT, related_name="referral_programs")
    name = models.CharField(_("name"), max_length=120)
    referrer_coupon_template_id = models.PositiveBigIntegerField(_("referrer's coupon template"), null=True, blank=True)
    referrer_points = models.PositiveIntegerField(_("referrer's points"), default=0)
    referrer_credit = models.DecimalField(_("referrer's wallet credit"), default=0, **money_field_kwargs())
    friend_coupon_template_id = models.PositiveBigIntegerField(_("friend's coupon template"), null=True, blank=True)
    friend_points = models.PositiveIntegerField(_("friend's points"), default=0)
    friend_credit = models.DecimalField(_("friend's wallet credit"), default=0, **money_field_kwargs())
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral programme")
        verbose_name_plural = _("referral programmes")
        constraints = [
            *_reward_checks("referrer_", "referralprogram"),
            *_reward_checks("friend_", "referralprogram"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="referralprogram_window"
            ),
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="referralprogram_one_active"),
        ]

    def __str__(self) -> str:
        return self.name


class ReferralCode(models.Model):
    """A member's share code (/shop/r/<code>/): stable, made at the first ask."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """A friend who joined through a member's link. Pending until the friend's first order
    completes; then rewarded (both sides, once) or blocked with the reason (the fraud guard)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        REWARDED = "rewarded", _("rewarded")
        BLOCKED = "blocked", _("blocked")

    program = models.ForeignKey(ReferralProgram, on_delete=models.PROTECT, related_name="referrals")
    referrer = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="referrals_made")
    friend = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="referred_by")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    # Fraud-guard keys (HMAC digests, never the raw values): the friend's phone, the device the
    # client named at sign-up, the first order's delivery address. Set when the referral settles.
    phone_key = models.CharField(max_length=64, blank=True)
    device_key = models.CharField(max_length=64, blank=True)
    address_key = models.CharField(max_length=64, blank=True)
    order_id = models.BigIntegerField(_("first order"), null=True, blank=True)
    location = models.ForeignKey("stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("friend")), name="referral_not_self"),
            models.CheckConstraint(condition=Q(state__in=["pending", "rewarded", "blocked"]), name="referral_state"),
            models.CheckConstraint(
                condition=Q(state="pending", settled_at__isnull=True)
                | (~Q(state="pending") & Q(settled_at__isnull=False)),
                name="referral_settled_has_time",
            ),
            models.CheckConstraint(condition=~Q(state="blocked") | ~Q(reason=""), name="referral_blocked_has_reason"),
            models.CheckConstraint(
                condition=~Q(state="rewarded") | Q(order_id__isnull=False), name="referral_rewarded_has_order"
            ),
            # The fraud guard's last word: a phone, device or address is rewarded once.
            *[
                models.UniqueConstraint(
                    fields=[key], condition=Q(state="rewarded") & ~Q(**{key: ""}), name=f"referral_{key}_rewarded_once"
                )
                for key in ("phone_key", "device_key", "address_key")
            ],
        ]
        indexes = [models.Index(fields=["referrer", "state"], name="referral_referrer_state")]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.state})"


class RedPacket(models.Model):
    """A budget cut at creation into `shares` random amounts (wallet credit), or `shares` coupons of
    one template. Members claim one share each, by the link /shop/red-packets/<code>/."""

    campaign = models.ForeignKey("pricing.Campaign", on_delete=models.PROTECT, related_name="red_packets")
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=[c for c in RewardKind.choices if c[0] != "points"])
    budget = models.DecimalField(_("budget"), default=0, **money_field_kwargs())
    shares = models.PositiveIntegerField(_("shares"))
    min_share = models.DecimalField(_("smallest share"), default=0, **money_field_kwargs())
    max_share = models.DecimalField(_("largest share"), default=0, **money_field_kwargs())
    coupon_template_id = models.PositiveBigIntegerField(_("coupon template"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("red packet")
        verbose_name_plural = _("red packets")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["wallet_credit", "coupon"]), name="redpacket_kind"),
            models.CheckConstraint(condition=Q(shares__gte=1, shares__lte=10000), name="redpacket_shares_range"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="redpacket_window"),
            models.CheckConstraint(
                condition=Q(
                    kind="wallet_credit",
                    coupon_template_id__isnull=True,
                    min_share__gte=Decimal("0.01"),
                    max_share__gte=F("min_share"),
                    budget__gte=F("min_share") * F("shares"),
                    budget__lte=F("max_share") * F("shares"),
                )
                | Q(kind="coupon", coupon_template_id__isnull=False, budget=0, min_share=0, max_share=0),
                name="redpacket_amounts_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RedPacketShare(models.Model):
    """One share of a packet, cut at creation; claimed by one conditional UPDATE (member IS NULL)."""

    packet = models.ForeignKey(RedPacket, on_delete=models.PROTECT, related_name="cut_shares")
    seq = models.PositiveIntegerField()
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="red_packet_shares"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)

    class Meta:
        verbose_name = _("red packet share")
        verbose_name_plural = _("red packet shares")
        constraints = [
            models.UniqueConstraint(fields=["packet", "seq"], name="redpacketshare_seq_unique"),
            models.UniqueConstraint(fields=["packet", "member"], name="redpacketshare_one_per_member"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="redpacketshare_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(member__isnull=True, claimed_at__isnull=True, channel="")
                | Q(member__isnull=False, claimed_at__isnull=False),
                name="redpacketshare_claimed_has_member_and_time",
            ),
        ]
        indexes = [models.Index(fields=["packet", "claimed_at", "seq"], name="redpacketshare_open")]

    def __str__(self) -> str:
        return f"share {self.seq} of {self.packet_id}"


class CheckInPoint(models.Model):
    """A store's QR for a campaign (/shop/check-in/<code>/): a signed-in member who opens it gets
    the reward once (or once a day), recorded as a CheckIn at that store."""

    campaign = models.ForeignKey("pricing.Campaign", on_delete=models.PROTECT, related_name="check_in_points")
    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="check_in_points")
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=16, unique=True)
    coupon_template_id = models.PositiveBigIntegerField(_("coupon template"), null=True, blank=True)
    points = models.PositiveIntegerField(_("points"), default=0)
    credit = models.DecimalField(_("wallet credit"), default=0, **money_field_kwargs())
    once_per_day = models.BooleanField(_("once a day"), default=False)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("check-in point")
        verbose_name_plural = _("check-in points")
        ordering = ["-created_at", "-pk"]
        constraints = [
            *_reward_checks("", "checkinpoint"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="checkinpoint_window"),
            models.CheckConstraint(
                condition=Q(coupon_template_id__isnull=False) | Q(points__gt=0) | Q(credit__gt=0),
                name="checkinpoint_gives_something",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """A member checked in at a point. `slot` is "once" or the day (once-a-day points): UNIQUE."""

    point = models.ForeignKey(CheckInPoint, on_delete=models.PROTECT, related_name="check_ins")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="check_ins")
    campaign = models.ForeignKey("pricing.Campaign", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    slot = models.CharField(max_length=10)
    joined_here = models.BooleanField(_("joined at this check-in"), default=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["point", "member", "slot"], name="checkin_once_per_slot"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class RewardGrant(models.Model):
    """One reward given (attribution ledger): what, to whom, for which campaign, through which
    channel and store. `reference` is the idempotency key the wallet / loyalty / coupon call used."""

    campaign = models.ForeignKey("pricing.Campaign", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="reward_grants")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=RewardKind.choices)
    amount = models.DecimalField(_("amount"), default=0, **money_field_kwargs())
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon_id = models.BigIntegerField(_("coupon"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=64)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    location = models.ForeignKey("stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("reward given")
        verbose_name_plural = _("rewards given")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="rewardgrant_once_per_reference"),
            models.CheckConstraint(condition=Q(channel__in=["online", "in_store"]), name="rewardgrant_channel"),
            models.CheckConstraint(
                condition=Q(source__in=["referral", "red_packet", "check_in"]), name="rewardgrant_source"
            ),
            models.CheckConstraint(
                condition=Q(kind="wallet_credit", amount__gt=0, points=0, coupon_id__isnull=True)
                | Q(kind="points", amount=0, points__gt=0, coupon_id__isnull=True)
                | Q(kind="coupon", amount=0, points=0, coupon_id__isnull=False),
                name="rewardgrant_what_by_kind",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "kind"], name="rewardgrant_campaign_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
