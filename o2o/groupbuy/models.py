"""Group buys (拼团) and chain sign-ups (接龙): offers bought through `orders.place_order` with
`offer="group:<id>"` / `offer="chain:<id>"`; docs/groupbuy.md tells the whole story."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class GroupBuyOffer(models.Model):
    """A SKU at a group price for groups of `group_size` members who all pay within
    `time_limit_hours` of the group being opened."""

    campaign = models.ForeignKey(
        "pricing.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="group_buys"
    )
    name = models.CharField(_("name"), max_length=120)
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    group_price = models.DecimalField(_("group price"), **money_field_kwargs())
    group_size = models.PositiveSmallIntegerField(_("group size"))
    time_limit_hours = models.PositiveSmallIntegerField(_("time limit (hours)"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    locations = models.ManyToManyField("stores.Location", related_name="+", verbose_name=_("pickup stores"))
    per_member_limit = models.PositiveSmallIntegerField(_("units per member per group"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group buy")
        verbose_name_plural = _("group buys")
        constraints = [
            models.CheckConstraint(condition=Q(group_price__gt=0), name="groupbuy_price_positive"),
            models.CheckConstraint(condition=Q(group_size__gte=2, group_size__lte=100), name="groupbuy_size_2_to_100"),
            models.CheckConstraint(
                condition=Q(time_limit_hours__gte=1, time_limit_hours__lte=168), name="groupbuy_time_limit_1h_to_7d"
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__gte=1, per_member_limit__lte=99), name="groupbuy_member_limit_1_to_99"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="groupbuy_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupState(models.TextChoices):
    OPEN = "open", _("open")
    COMPLETE = "complete", _("complete")
    FAILED = "failed", _("failed")


class Group(models.Model):
    """One group of an offer. `member_count` (seats taken) and `paid_count` change only by
    conditional UPDATEs; the CHECKs keep them within the size even if a bug tried otherwise."""

    offer = models.ForeignKey(GroupBuyOffer, on_delete=models.PROTECT, related_name="groups")
    leader = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=GroupState.choices, default=GroupState.OPEN)
    size = models.PositiveSmallIntegerField(_("size"))  # the offer's size when opened
    member_count = models.PositiveSmallIntegerField(_("members"), default=0)
    paid_count = models.PositiveSmallIntegerField(_("paid"), default=0)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The leader's Idempotency-Key of the request that opened it (a retry finds this group).
    open_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=GroupState.values), name="group_state_valid"),
            models.CheckConstraint(
                condition=Q(paid_count__lte=F("member_count"), member_count__lte=F("size")),
                name="group_paid_within_members_within_size",
            ),
            models.CheckConstraint(
                condition=~Q(state=GroupState.COMPLETE) | Q(paid_count=F("size")), name="group_complete_is_full"
            ),
            models.UniqueConstraint(
                fields=["leader", "open_key"], condition=Q(open_key__isnull=False), name="group_open_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_at"], name="group_state_expires")]

    def __str__(self) -> str:
        return f"{self.offer} #{self.pk}"


class GroupMember(models.Model):
    """A seat: the member and the order that took it. A seat whose order was cancelled unpaid (or
    refunded while the group was open) is left (`left_at`) and free for anyone, the member too."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="members")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="group_seat")
    paid = models.BooleanField(default=False)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "member"], condition=Q(left_at__isnull=True), name="groupmember_one_seat_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.group_id}"


class ChainState(models.TextChoices):
    OPEN = "open", _("open")  # published: customers sign up until the cut-off
    CLOSED = "closed", _("closed")  # cut off: entries are being / were placed as orders


class ChainList(models.Model):
    """A store manager's sign-up list (接龙): items at a price, a cut-off, pickup at their store."""

    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    notes = models.TextField(_("notes"), blank=True)
    cutoff_at = models.DateTimeField(_("cut-off"))
    state = models.CharField(_("state"), max_length=10, choices=ChainState.choices, default=ChainState.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("chain sign-up")
        verbose_name_plural = _("chain sign-ups")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ChainState.values), name="chainlist_state_valid"),
        ]
        indexes = [models.Index(fields=["state", "cutoff_at"], name="chainlist_state_cutoff")]

    def __str__(self) -> str:
        return self.title


class ChainItem(models.Model):
    chain = models.ForeignKey(ChainList, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("price"), **money_field_kwargs())
    max_per_person = models.PositiveSmallIntegerField(_("most per person"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="chainitem_price_positive"),
            models.CheckConstraint(
                condition=Q(max_per_person__isnull=True) | Q(max_per_person__gte=1), name="chainitem_max_positive"
            ),
            models.UniqueConstraint(fields=["chain", "sku"], name="chainitem_one_per_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} @ {self.price}"


class EntryState(models.TextChoices):
    ACTIVE = "active", _("signed up")
    CANCELLED = "cancelled", _("cancelled")
    PLACED = "placed", _("order placed")
    UNSERVED = "unserved", _("could not be served")


class ChainEntry(models.Model):
    """One member's sign-up on a list (one per member; changed in place until the cut-off)."""

    chain = models.ForeignKey(ChainList, on_delete=models.CASCADE, related_name="entries")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=EntryState.choices, default=EntryState.ACTIVE)
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_entry"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "member"], name="chainentry_one_per_member"),
            models.CheckConstraint(condition=Q(state__in=EntryState.values), name="chainentry_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=EntryState.PLACED) | Q(order__isnull=False), name="chainentry_placed_has_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.chain_id}"


class ChainEntryLine(models.Model):
    entry = models.ForeignKey(ChainEntry, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(ChainItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1, quantity__lte=999), name="chainentryline_qty_1_999"),
            models.UniqueConstraint(fields=["entry", "item"], name="chainentryline_one_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item_id}"
