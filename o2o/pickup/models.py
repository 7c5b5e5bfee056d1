from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# A027: a letter and three digits. The letter moves on every 999 pickups of a day (A001..A999,
# B001..), so a store hands out up to 26 x 999 numbers a day.
DIGITS_PER_LETTER = 999
MAX_SHORT_NUMBER = 26 * DIGITS_PER_LETTER


def format_short_number(number: int) -> str:
    letter, digits = divmod(number - 1, DIGITS_PER_LETTER)
    return f"{chr(ord('A') + letter)}{digits + 1:03d}"


class PickupVoucher(models.Model):
    class State(models.TextChoices):
        ISSUED = "issued", _("issued")
        REDEEMED = "redeemed", _("redeemed")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="pickup_voucher")
    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="pickup_vouchers")
    code = models.CharField(_("pickup code"), max_length=12, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ISSUED)
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the pickup was kept longer than first promised (once).")
    )
    # Handed over from this moment (the chosen pickup slot's start, or the issue time); staff may
    # hand over earlier once the order is ready for pickup.
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    # The short number called out at the counter ("A027"): drawn per store and local pickup day.
    pickup_day = models.DateField(_("pickup day"), null=True, blank=True)
    short_number = models.PositiveIntegerField(_("pickup number"), null=True, blank=True)

    class Meta:
        verbose_name = _("pickup voucher")
        verbose_name_plural = _("pickup vouchers")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{12}$"), name="pickupvoucher_code_12_digits"),
            models.CheckConstraint(
                condition=Q(state__in=["issued", "redeemed", "revoked", "expired"]), name="pickupvoucher_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="redeemed") | Q(redeemed_at__isnull=False, redeemed_by__isnull=False),
                name="pickupvoucher_redeemed_has_who_and_when",
            ),
            models.UniqueConstraint(
                fields=["location", "pickup_day", "short_number"], name="pickupvoucher_short_number_per_store_day"
            ),
            models.CheckConstraint(
                condition=Q(short_number__isnull=True, pickup_day__isnull=True)
                | Q(short_number__gte=1, short_number__lte=MAX_SHORT_NUMBER, pickup_day__isnull=False),
                name="pickupvoucher_short_number_range",
            ),
        ]
        indexes = [models.Index(fields=["location", "state"], name="pickupvoucher_location_state")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"

    @property
    def display_code(self) -> str:
        return " ".join(self.code[i : i + 4] for i in range(0, 12, 4))

    @property
    def display_number(self) -> str:
        return format_short_number(self.short_number) if self.short_number else ""


class VoucherAttempt(models.Model):
    """Audit trail: every verification attempt, who, when, where, and what came of it."""

    class Result(models.TextChoices):
        FOUND = "found", _("looked up")
        REDEEMED = "redeemed", _("redeemed")
        NOT_FOUND = "not_found", _("not found")
        NOT_REDEEMABLE = "not_redeemable", _("not redeemable")
        FORBIDDEN = "forbidden", _("wrong store")
        RATE_LIMITED = "rate_limited", _("too many failures")
        UNDONE = "undone", _("redemption undone")

    voucher = models.ForeignKey(PickupVoucher, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    code_tail = models.CharField(max_length=4, blank=True, help_text=_("Last digits of the code tried."))
    result = models.CharField(max_length=16, choices=Result.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["staff", "at"], name="voucherattempt_staff_at")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.result}"


class PickupNumberCounter(models.Model):
    """The last short pickup number drawn at a store on a local day (one row per store and day,
    moved by `last = last + 1`)."""

    location = models.ForeignKey("stores.Location", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "day"], name="pickupnumbercounter_one_per_store_day"),
            models.CheckConstraint(
                condition=Q(last__gte=0, last__lte=MAX_SHORT_NUMBER), name="pickupnumbercounter_last_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.day}: {self.last}"


class PickupSlot(models.Model):
    """How many pickups a store has taken for one half-hour slot. `booked` moves only by a
    conditional UPDATE (`booked < capacity`); the CHECK is the last guard."""

    location = models.ForeignKey("stores.Location", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    booked = models.PositiveIntegerField(default=0)
    # The store's capacity when the slot was last booked (null: no limit).
    capacity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "starts_at"], name="pickupslot_one_per_store_start"),
            models.CheckConstraint(
                condition=Q(booked__gte=0) & (Q(capacity__isnull=True) | Q(booked__lte=F("capacity"))),
                name="pickupslot_booked_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.starts_at}: {self.booked}/{self.capacity}"


class PickupSlotBooking(models.Model):
    """One order's place in a slot; `released_at` is set once (cancelled or refunded) and gives
    the place back exactly once."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="pickup_slot_booking")
    slot = models.ForeignKey(PickupSlot, on_delete=models.PROTECT, related_name="bookings")
    booked_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.order_id} -> {self.slot_id}"
