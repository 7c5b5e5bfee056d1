"""Stored value (储值): a wallet per member with principal and bonus kept apart, its ledger,
top-ups (with bonus tiers) and the dynamic payment codes a member shows at the counter.

The balances change only by conditional UPDATE in `services.py`, each together with a ledger
entry; the CHECKs below are the last guard."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class Wallet(models.Model):
    """A member's stored value: principal (money paid in, refundable) and bonus (given by a tier,
    never paid out). Created at the first top-up."""

    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="wallet")
    principal = models.DecimalField(_("principal"), default=0, **money_field_kwargs())
    bonus = models.DecimalField(_("bonus"), default=0, **money_field_kwargs())
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    freeze_reason = models.CharField(_("freeze reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        constraints = [
            models.CheckConstraint(condition=Q(principal__gte=0), name="wallet_principal_not_negative"),
            models.CheckConstraint(condition=Q(bonus__gte=0), name="wallet_bonus_not_negative"),
            models.CheckConstraint(
                condition=Q(frozen_at__isnull=True) | ~Q(freeze_reason=""), name="wallet_frozen_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"wallet {self.pk}"

    @property
    def total(self):
        return self.principal + self.bonus


class EntryKind(models.TextChoices):
    TOP_UP = "top_up", _("top-up")
    TOP_UP_BONUS = "top_up_bonus", _("top-up bonus")
    SPEND = "spend", _("spend")
    SPEND_REFUND = "spend_refund", _("spend refunded")
    PRINCIPAL_REFUND = "principal_refund", _("principal paid back")
    GIFT = "gift", _("gift")  # promotional credit (red packet, referral reward): bonus, never paid out


# Which way each kind moves the balances (the CHECK below holds every entry to it).
_CREDITS = Q(principal_delta__gte=0, bonus_delta__gte=0) & (Q(principal_delta__gt=0) | Q(bonus_delta__gt=0))
_DEBITS = Q(principal_delta__lte=0, bonus_delta__lte=0) & (Q(principal_delta__lt=0) | Q(bonus_delta__lt=0))


class WalletEntry(models.Model):
    """One movement of a wallet; append-only. The wallet's balances are the sums of its entries
    (`o2o audit` checks it). A retry with the same (kind, reference) finds the first entry."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    principal_delta = models.DecimalField(_("principal"), **money_field_kwargs())
    bonus_delta = models.DecimalField(_("bonus"), **money_field_kwargs())
    # What caused it: "payment:<id>" for a tender, "topup:<id>", a refund's own reference...
    reference = models.CharField(_("reference"), max_length=64)
    # A spend refund points at its spend; a spend counts what was refunded of it so far.
    refund_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    # A top-up's entries point at it (the audit joins them).
    top_up = models.ForeignKey("TopUp", null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    refunded_principal = models.DecimalField(default=0, **money_field_kwargs())
    refunded_bonus = models.DecimalField(default=0, **money_field_kwargs())
    location = models.ForeignKey("stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("wallet entry")
        verbose_name_plural = _("wallet entries")
        ordering = ["-created_at", "-pk"]
        # refund_spend finds a spend by its reference alone (the caller knows the payment, not the wallet).
        indexes = [models.Index(fields=["reference", "kind"], name="walletentry_reference")]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "kind", "reference"], name="walletentry_once_per_reference"),
            models.CheckConstraint(
                condition=Q(kind__in=["top_up", "top_up_bonus", "spend", "spend_refund", "principal_refund", "gift"]),
                name="walletentry_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=["top_up", "top_up_bonus", "spend_refund"]) & _CREDITS)
                | (Q(kind__in=["spend", "principal_refund"]) & _DEBITS)
                | Q(kind="gift", principal_delta=0, bonus_delta__gt=0),
                name="walletentry_direction_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="top_up", bonus_delta=0)
                | Q(kind="top_up_bonus", principal_delta=0)
                | ~Q(kind__in=["top_up", "top_up_bonus"]),
                name="walletentry_top_up_parts",
            ),
            models.CheckConstraint(
                condition=Q(kind="spend_refund", refund_of__isnull=False)
                | (~Q(kind="spend_refund") & Q(refund_of__isnull=True)),
                name="walletentry_refund_has_spend",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["top_up", "top_up_bonus"], top_up__isnull=False)
                | (~Q(kind__in=["top_up", "top_up_bonus"]) & Q(top_up__isnull=True)),
                name="walletentry_top_up_has_its_top_up",
            ),
            # What was refunded of a spend never exceeds what it took, principal and bonus apart.
            models.CheckConstraint(
                condition=Q(refunded_principal=0, refunded_bonus=0)
                | Q(
                    kind="spend",
                    refunded_principal__gte=0,
                    refunded_bonus__gte=0,
                    refunded_principal__lte=-F("principal_delta"),
                    refunded_bonus__lte=-F("bonus_delta"),
                ),
                name="walletentry_refunds_within_spend",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.principal_delta}+{self.bonus_delta}"

    @property
    def amount(self):
        return self.principal_delta + self.bonus_delta


class TopUpTier(models.Model):
    """Pay `pay_amount`, get `bonus_amount` more as bonus (pay 500 get 550). HQ manages them."""

    pay_amount = models.DecimalField(_("pay"), **money_field_kwargs())
    bonus_amount = models.DecimalField(_("bonus"), **money_field_kwargs())
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("top-up tier")
        verbose_name_plural = _("top-up tiers")
        ordering = ["pay_amount"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_amount__gt=0), name="topuptier_pay_positive"),
            models.CheckConstraint(
                condition=Q(bonus_amount__gte=0, bonus_amount__lte=F("pay_amount")), name="topuptier_bonus_range"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="topuptier_window_ordered",
            ),
            # One active tier per amount: the member sees one offer for "pay 500".
            models.UniqueConstraint(
                fields=["pay_amount"], condition=Q(active=True), name="topuptier_one_active_per_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pay_amount} + {self.bonus_amount}"


class TopUpMethod(models.TextChoices):
    ONLINE_QR = "online_qr", _("online QR pay")
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")
    STORE_QR = "store_qr", _("QR pay at the counter")


COUNTER_TOP_UP_METHODS = frozenset({TopUpMethod.CASH, TopUpMethod.CARD, TopUpMethod.STORE_QR})


class TopUp(models.Model):
    """Money paid into a wallet: online through a gateway (pending until its callback) or at a
    store's counter (succeeds at once, store takings of that location for the daily close)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="top_ups")
    amount = models.DecimalField(_("amount paid"), **money_field_kwargs())
    bonus = models.DecimalField(_("bonus"), default=0, **money_field_kwargs())
    tier = models.ForeignKey(TopUpTier, null=True, blank=True, on_delete=models.PROTECT, related_name="top_ups")
    method = models.CharField(_("method"), max_length=12, choices=TopUpMethod.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    gateway = models.CharField(max_length=20, blank=True)
    gateway_ref = models.CharField(max_length=40, unique=True, null=True, blank=True)
    gateway_txn_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    location = models.ForeignKey(
        "stores.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="top_ups_taken",
        help_text=_("The store whose cash account took a counter top-up."),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_amount_positive"),
            models.CheckConstraint(condition=Q(bonus__gte=0), name="topup_bonus_not_negative"),
            models.CheckConstraint(condition=Q(state__in=["pending", "succeeded", "failed"]), name="topup_state_valid"),
            models.CheckConstraint(
                condition=Q(method__in=["online_qr", "cash", "card", "store_qr"]), name="topup_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(method="online_qr") | Q(location__isnull=False, received_by__isnull=False),
                name="topup_counter_has_location",
            ),
            models.CheckConstraint(
                condition=~Q(method="online_qr") | Q(gateway_ref__isnull=False), name="topup_online_has_gateway_ref"
            ),
            models.CheckConstraint(
                condition=Q(state="succeeded", succeeded_at__isnull=False)
                | (~Q(state="succeeded") & Q(succeeded_at__isnull=True)),
                name="topup_succeeded_has_time",
            ),
        ]
        indexes = [models.Index(fields=["location", "method", "succeeded_at"], name="topup_takings")]

    def __str__(self) -> str:
        return f"top-up {self.amount} + {self.bonus} ({self.state})"

    @property
    def reference(self) -> str:
        return f"topup:{self.pk}"


class PaymentCode(models.Model):
    """A dynamic pay code the member shows at the counter: short-lived, single use, bound to the
    member. Only its hash is kept; a new code voids the member's older ones."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="payment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment code")
        verbose_name_plural = _("payment codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(voided_at__isnull=True), name="paymentcode_used_or_voided"
            ),
        ]
        indexes = [models.Index(fields=["member", "used_at", "voided_at"], name="paymentcode_live")]

    def __str__(self) -> str:
        return f"payment code {self.pk}"
