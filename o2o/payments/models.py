from decimal import Decimal

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
    WALLET = "wallet", _("stored value")
    POINTS = "points", _("points")
    STORE_CREDIT = "store_credit", _("store credit (installments)")


IN_STORE_METHODS = {PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.STORE_QR}
# Tenders that draw on a member's own balance (the payer is recorded on the payment).
MEMBER_METHODS = {PaymentMethod.WALLET, PaymentMethod.POINTS}
# Money goes back in this order, tender by tender (docs/money.md): what came from the member's own
# balances first (points, then stored value), then the store credit plan, then money that came from
# outside (the gateway, then the counter).
REFUND_ORDER = (
    PaymentMethod.POINTS,
    PaymentMethod.WALLET,
    PaymentMethod.STORE_CREDIT,
    PaymentMethod.ONLINE_QR,
    PaymentMethod.STORE_QR,
    PaymentMethod.CARD,
    PaymentMethod.CASH,
)
INSTALLMENT_PERIODS = (3, 6, 12)


class FeeBearer(models.TextChoices):
    MERCHANT = "merchant", _("merchant")
    CUSTOMER = "customer", _("customer")


class Payment(models.Model):
    """One tender of an order. An order is paid by one or more tenders that together cover its
    total; each succeeds or fails on its own, and only a gateway tender is ever pending."""

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
    payer = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tenders_paid",
        help_text=_("The member whose stored value or points paid this tender."),
    )
    points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    # The caller's reference of a tender recorded by another app (a store credit plan): a retry
    # with the same reference finds the tender instead of recording it twice.
    reference = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The gateway's own installment product (Alipay Huabei, card installments): the gateway pays
    # the merchant and collects the periods from the customer; the fee is booked here.
    installment_periods = models.PositiveSmallIntegerField(_("installment periods"), null=True, blank=True)
    installment_fee = models.DecimalField(_("installment fee"), default=0, **money_field_kwargs())
    installment_fee_borne_by = models.CharField(
        _("installment fee borne by"), max_length=10, blank=True, choices=FeeBearer.choices
    )
    # What the customer handed over for a cash tender (the receipt shows the change); empty: not noted.
    cash_tendered = models.DecimalField(_("cash given"), null=True, blank=True, **money_field_kwargs())
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(cash_tendered__isnull=True) | Q(method="cash", cash_tendered__gte=F("amount")),
                name="payment_cash_tendered_covers_cash",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "succeeded", "failed", "returned"]), name="payment_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=[m.value for m in PaymentMethod]), name="payment_method_valid"
            ),
            # Only a gateway tender waits for the customer; every other tender succeeds or is refused at once.
            models.CheckConstraint(
                condition=~Q(state="pending") | Q(method="online_qr"), name="payment_only_gateway_pending"
            ),
            # A points tender says how many points it spent (its amount is their value); no other does.
            models.CheckConstraint(
                condition=Q(method="points", points__gt=0) | (~Q(method="points") & Q(points__isnull=True)),
                name="payment_points_iff_points_method",
            ),
            models.CheckConstraint(
                condition=~Q(method__in=["wallet", "points"]) | Q(payer__isnull=False),
                name="payment_member_tender_has_payer",
            ),
            models.CheckConstraint(
                condition=~Q(method="store_credit") | Q(reference__isnull=False),
                name="payment_store_credit_has_reference",
            ),
            models.CheckConstraint(
                condition=(
                    Q(installment_periods__isnull=True, installment_fee=0, installment_fee_borne_by="")
                    | Q(
                        method="online_qr",
                        installment_periods__in=list(INSTALLMENT_PERIODS),
                        installment_fee__gte=0,
                        installment_fee_borne_by__in=[b.value for b in FeeBearer],
                    )
                ),
                name="payment_gateway_installments_valid",
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

    @property
    def change(self) -> Decimal | None:
        """The change handed back for a cash tender whose cash given was noted."""
        return None if self.cash_tendered is None else self.cash_tendered - self.amount


class Refund(models.Model):
    """Money going back to the payer. Back to a gateway it is a job with states: requested, sent
    (a worker holds it until `next_attempt_at`), succeeded or failed after the last try. The
    gateway call carries the refund's own id (`gateway_refund_id`), so a retry never pays twice.
    Cash and card refunds are handed back at the counter and succeed at once."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        SENT = "sent", _("sent to the gateway")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    points = models.PositiveIntegerField(_("points"), null=True, blank=True, help_text=_("Points given back."))
    reason = models.CharField(_("reason"), max_length=255)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REQUESTED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(points__isnull=True) | Q(points__gt=0), name="refund_points_positive"),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "sent", "succeeded", "failed"]), name="refund_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["succeeded", "failed"]) | Q(finished_at__isnull=False),
                name="refund_finished_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="refund_state_next_attempt")]

    def __str__(self) -> str:
        return f"refund {self.amount} ({self.state})"

    @property
    def gateway_refund_id(self) -> str:
        return f"O2O-R{self.pk:012d}"


class PaymentAlert(models.Model):
    """Something about money a person must look at: a callback that does not match, or a refund
    that failed for good. Also logged at ERROR."""

    class Kind(models.TextChoices):
        AMOUNT_MISMATCH = "amount_mismatch", _("callback amount does not match")
        UNKNOWN_PAYMENT = "unknown_payment", _("callback for an unknown payment")
        REFUND_FAILED = "refund_failed", _("refund failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    gateway = models.CharField(max_length=20, blank=True)
    event_id = models.CharField(max_length=64, blank=True)
    expected_amount = models.DecimalField(null=True, blank=True, **money_field_kwargs())
    received_amount = models.DecimalField(null=True, blank=True, **money_field_kwargs())
    detail = models.CharField(_("detail"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment alert")
        verbose_name_plural = _("payment alerts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["amount_mismatch", "unknown_payment", "refund_failed"]),
                name="paymentalert_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


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
