from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
        ]
        indexes = [models.Index(fields=["location", "state"], name="pickupvoucher_location_state")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"

    @property
    def display_code(self) -> str:
        return " ".join(self.code[i : i + 4] for i in range(0, 12, 4))


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
