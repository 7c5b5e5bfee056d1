"""Replenishment proposals: what a store should get, from where, and what the manager decided.

A proposal is open until its store's manager approves it (the approved units go into a requested
transfer from its source) or rejects it with a reason. One open proposal per store and SKU: the
nightly run (or the button) updates it rather than adding another. docs/replenishment.md."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Proposal(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    # the warehouse with stock, else a nearby store with surplus; empty: nobody has it to spare
    source = models.ForeignKey("stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    quantity = models.PositiveIntegerField(_("proposed quantity"))
    # what the proposal was worked out from, as it stood when last proposed
    available = models.IntegerField(_("available"))
    alert_level = models.PositiveIntegerField(_("alert level"))
    target_level = models.PositiveIntegerField(_("target level"))
    expected_sales = models.DecimalField(_("expected sales until the next run"), max_digits=10, decimal_places=2)
    proposed_at = models.DateTimeField(_("proposed at"))
    approved_quantity = models.PositiveIntegerField(_("approved quantity"), null=True, blank=True)
    transfer = models.ForeignKey(
        "inventory.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("replenishment proposal")
        verbose_name_plural = _("replenishment proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "sku"], condition=Q(state="open"), name="proposal_one_open_per_location_sku"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "approved", "rejected"]), name="proposal_state_valid"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="proposal_quantity_positive"),
            models.CheckConstraint(condition=~Q(source=F("location")), name="proposal_source_elsewhere"),
            models.CheckConstraint(
                condition=Q(
                    state="open",
                    decided_at__isnull=True,
                    decided_by__isnull=True,
                    approved_quantity__isnull=True,
                    transfer__isnull=True,
                    reject_reason="",
                )
                | Q(
                    state="approved",
                    decided_at__isnull=False,
                    approved_quantity__gt=0,
                    transfer__isnull=False,
                    source__isnull=False,
                    reject_reason="",
                )
                | (
                    Q(state="rejected", decided_at__isnull=False, approved_quantity__isnull=True, transfer__isnull=True)
                    & ~Q(reject_reason="")
                ),
                name="proposal_decision_consistent",
            ),
        ]
        indexes = [models.Index(fields=["location", "state", "proposed_at"], name="proposal_location_state")]

    def __str__(self) -> str:
        return f"proposal {self.pk}: {self.quantity} of {self.sku_id} to {self.location_id} ({self.state})"
