"""Store credit plans (分期): a big-ticket order financed by the store and repaid in monthly dues.

The plan is one tender of the order (a `store_credit` payment for the financed amount); the
customer owes the financed amount plus the plan's fee, split into dues. Repayments are rows of
their own (method, store, clerk, time), so the daily close can count counter repayments as takings.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs

PLAN_LENGTHS = (3, 6, 12)


class PlanState(models.TextChoices):
    ACTIVE = "active", _("active")
    OVERDUE = "overdue", _("overdue")
    SETTLED = "settled", _("settled")
    CANCELLED = "cancelled", _("cancelled")


OPEN_PLAN_STATES = (PlanState.ACTIVE, PlanState.OVERDUE)


class DueState(models.TextChoices):
    DUE = "due", _("due")
    PAID = "paid", _("paid")
    OVERDUE = "overdue", _("overdue")
    # A return took the goods back: nothing is owed on this due any more.
    WAIVED = "waived", _("waived after a return")


class InstallmentPlan(models.Model):
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="installment_plan")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="installment_plans")
    periods = models.PositiveSmallIntegerField(_("periods"))
    down_payment = models.DecimalField(_("down payment"), **money_field_kwargs())
    financed_amount = models.DecimalField(_("financed"), **money_field_kwargs())
    fee_percent = models.DecimalField(_("fee %"), max_digits=5, decimal_places=2)
    fee = models.DecimalField(_("fee"), **money_field_kwargs())
    # What returns took off the debt: mirrors what was refunded of the store credit tender.
    credit_refunded = models.DecimalField(_("reduced by returns"), default=0, **money_field_kwargs())
    state = models.CharField(_("state"), max_length=10, choices=PlanState.choices, default=PlanState.ACTIVE)
    location = models.ForeignKey(
        "stores.Location", on_delete=models.PROTECT, related_name="+", help_text=_("The store that sold the order.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The clerk who set the plan up at the counter (empty: the member online)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("installment plan")
        verbose_name_plural = _("installment plans")
        constraints = [
            models.CheckConstraint(condition=Q(periods__in=PLAN_LENGTHS), name="installmentplan_periods_valid"),
            models.CheckConstraint(condition=Q(financed_amount__gt=0), name="installmentplan_financed_positive"),
            models.CheckConstraint(
                condition=Q(down_payment__gte=0, fee__gte=0, fee_percent__gte=0), name="installmentplan_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(credit_refunded__gte=0, credit_refunded__lte=F("financed_amount")),
                name="installmentplan_reduction_within_financed",
            ),
            models.CheckConstraint(condition=Q(state__in=PlanState.values), name="installmentplan_state_valid"),
            models.CheckConstraint(
                condition=~Q(state="settled") | Q(settled_at__isnull=False), name="installmentplan_settled_has_time"
            ),
        ]
        indexes = [models.Index(fields=["state"], name="installmentplan_state")]

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.periods} x, {self.state})"


class InstallmentDue(models.Model):
    plan = models.ForeignKey(InstallmentPlan, on_delete=models.PROTECT, related_name="dues")
    seq = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    paid_amount = models.DecimalField(_("paid"), default=0, **money_field_kwargs())
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=DueState.choices, default=DueState.DUE)
    # The sent marker of the reminder: set by the conditional UPDATE that claims it, so once per due.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("installment due")
        verbose_name_plural = _("installment dues")
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="installmentdue_one_per_seq"),
            models.CheckConstraint(condition=Q(seq__gte=1, seq__lte=12), name="installmentdue_seq_valid"),
            models.CheckConstraint(
                condition=Q(amount__gte=0, paid_amount__gte=0, paid_amount__lte=F("amount")),
                name="installmentdue_paid_within_amount",
            ),
            models.CheckConstraint(condition=Q(state__in=DueState.values), name="installmentdue_state_valid"),
            # Paid means paid in full, at a known time; an open due still owes something.
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(paid_amount=F("amount"), paid_at__isnull=False),
                name="installmentdue_paid_in_full",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["due", "overdue"]) | Q(paid_amount__lt=F("amount")),
                name="installmentdue_open_owes",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_date"], name="installmentdue_state_date")]

    def __str__(self) -> str:
        return f"due {self.seq} of plan {self.plan_id}: {self.amount} on {self.due_date}"

    @property
    def outstanding(self):
        return self.amount - self.paid_amount


class RepaymentMethod(models.TextChoices):
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")
    STORE_QR = "store_qr", _("QR pay at the counter")


class InstallmentRepayment(models.Model):
    """Money the customer paid on the plan (positive), or repaid money handed back at the counter
    after a return took more off the debt than was still owed (negative, kind `refund`)."""

    class Kind(models.TextChoices):
        DUE = "due", _("repayment")
        SETTLEMENT = "settlement", _("early settlement")
        REFUND = "refund", _("repaid money handed back after a return")

    plan = models.ForeignKey(InstallmentPlan, on_delete=models.PROTECT, related_name="repayments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    method = models.CharField(_("method"), max_length=12, choices=RepaymentMethod.choices)
    location = models.ForeignKey(
        "stores.Location", on_delete=models.PROTECT, related_name="+", help_text=_("The store that took the money.")
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("installment repayment")
        verbose_name_plural = _("installment repayments")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["due", "settlement", "refund"]), name="repayment_kind_valid"),
            models.CheckConstraint(condition=Q(method__in=RepaymentMethod.values), name="repayment_method_valid"),
            models.CheckConstraint(
                condition=(Q(kind="refund") & Q(amount__lt=0)) | (~Q(kind="refund") & Q(amount__gt=0)),
                name="repayment_sign_by_kind",
            ),
        ]
        indexes = [models.Index(fields=["location", "created_at"], name="repayment_location_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.method})"
