"""What pricing keeps: where a discount comes from, and the campaigns offers belong to.

The rules themselves are code registered in `rules.py`; the offer apps above pricing (coupons,
promotions, flash sales) keep their own tables and register rules that read them. A campaign
lives here, below all of them, so every offer and every order line discount can name the
campaign it was given for (attribution) without any of them importing upward.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from o2o.catalog.models import Channel


class DiscountSource(models.TextChoices):
    """Where a discount line comes from (kept on every order line discount)."""

    PROMOTION = "promotion", _("promotion")
    COUPON = "coupon", _("coupon")
    LEVEL = "level", _("member level")
    MANUAL = "manual", _("manual discount")


class ChannelScope(models.TextChoices):
    """Where an offer (coupon, promotion) applies: the online channels, the counter, or both."""

    ONLINE = "online", _("online")
    IN_STORE = "in_store", _("in store")
    BOTH = "both", _("online and in store")

    @classmethod
    def fits(cls, scope: str, channel: str) -> bool:
        if scope == cls.ONLINE:
            return channel in Channel.online()
        if scope == cls.IN_STORE:
            return channel == Channel.POS
        return True


class Campaign(models.Model):
    """A marketing campaign: the offers it runs (coupons, promotions, flash sales, group buys, red
    packets, check-ins) name it, and so does every discount they give, so its report can count
    cost, orders and revenue by channel and store. Members in its control group (a stable
    `control_percent` share, see `in_control_group`) are offered nothing, to measure uplift."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    control_percent = models.PositiveSmallIntegerField(_("control group (percent of members)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(control_percent__lte=50), name="campaign_control_at_most_half"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def holds_out(self, member_id: int | None) -> bool:
        return in_control_group(campaign_id=self.pk, control_percent=self.control_percent, member_id=member_id)


def in_control_group(*, campaign_id: int, control_percent: int, member_id: int | None) -> bool:
    """Whether a member is held out of a campaign: the same answer every time, for every process
    (a hash of campaign and member, not a random draw), so a member never flips between groups."""
    if not control_percent or member_id is None:
        return False
    digest = hashlib.sha256(f"{campaign_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < control_percent
