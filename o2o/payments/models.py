from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class PaymentMethod(models.TextChoices):
    ONLINE_QR = "online_qr", _("online QR pay")
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")
    STORE_QR = "store_qr", _("QR pay at the counter")


IN_STORE_METHODS = {PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.STORE_QR}


class Payment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        # The gateway took the money but the order could not take it (already paid, or cancelled):
        # it was paid back in full.
        RETURNED = "returned", _("returned to the payer")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    refunded_amount = models.DecimalField(_("refunded"), default=0, **money_field_kwargs())
    gateway = models.CharField(max_length=20, blank=True)
    gateway_ref = models.CharField(max_length=40, unique=True, null=True, blank=True)
    gateway_txn_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    location = models.ForeignKey(
        "stores.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments_taken",
        help_text=_("The store whose cash account took an in-store payment."),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "succeeded", "failed", "returned"]), name="payment_state_valid"
            ),
            # An order is paid once, however many callbacks or retries arrive.
            models.UniqueConstraint(
                fields=["order"], condition=Q(state="succeeded"), name="payment_one_success_per_order"
            ),
            # A double tap on "pay" reuses the waiting gateway payment instead of opening a second one.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state="pending", method="online_qr"),
                name="payment_one_pending_online_per_order",
            ),
            models.CheckConstraint(
                condition=~Q(method__in=["cash", "card", "store_qr"]) | Q(location__isnull=False),
                name="payment_in_store_has_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount} ({self.state})"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    reason = models.CharField(_("reason"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount}"


class GatewayCallback(models.Model):
    """Each gateway event is processed once: the unique event id turns duplicates and replays away."""

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=64)
    payload = models.JSONField()
    outcome = models.CharField(max_length=40)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="gatewaycallback_once")]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id}"
