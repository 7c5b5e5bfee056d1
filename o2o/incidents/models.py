"""Incidents: a failed step of one order, tracked from opening to closure with every action taken.

One incident per (order, kind, line): the automatic openers insert with ON CONFLICT DO NOTHING, so
an event published twice (or a sweep that runs twice) opens one incident. Units refunded never
exceed the units the incident concerns (CHECK), and the count moves by a conditional UPDATE."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs
from o2o.incidents.catalogue import IncidentKind, RemedyKind, Step


class IncidentState(models.TextChoices):
    OPEN = "open", _("to be handled")
    REMEDIED = "remedied", _("remedied")
    CLOSED = "closed", _("closed out")


# Not closed yet: an incident that still takes remedies and can be overdue.
WORKING = (IncidentState.OPEN, IncidentState.REMEDIED)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("resolved for the customer")
    CUSTOMER_DECLINED = "customer_declined", _("customer declined the remedy")
    NO_ACTION_NEEDED = "no_action_needed", _("no action needed")


class Incident(models.Model):
    kind = models.CharField(_("type"), max_length=20, choices=IncidentKind.choices)
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="incidents")
    line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="incidents")
    state = models.CharField(_("state"), max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN)
    remedy = models.CharField(_("standard remedy"), max_length=20, choices=RemedyKind.choices)
    # Units of the line concerned (missing, damaged, wrong) and how many of them were refunded so far.
    quantity = models.PositiveIntegerField(_("units"), default=0)
    refunded_quantity = models.PositiveIntegerField(_("units refunded"), default=0)
    refunded_amount = models.DecimalField(_("refunded"), default=0, **money_field_kwargs())
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    # None: the system opened it (an event or the sweep).
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("incident opened at"))
    due_by = models.DateTimeField(_("act by"))
    remedied_at = models.DateTimeField(_("remedied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IncidentKind.values), name="incident_kind_valid"),
            models.CheckConstraint(condition=Q(step__in=Step.values), name="incident_step_valid"),
            models.CheckConstraint(condition=Q(state__in=IncidentState.values), name="incident_state_valid"),
            models.CheckConstraint(condition=Q(remedy__in=RemedyKind.values), name="incident_remedy_valid"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity")), name="incident_refund_within_units"
            ),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0), name="incident_refunded_not_negative"),
            models.CheckConstraint(condition=Q(due_by__gte=F("opened_at")), name="incident_due_after_opened"),
            models.CheckConstraint(
                condition=~Q(state="closed") | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="incident_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome__in=Outcome.values), name="incident_outcome_valid"
            ),
            models.UniqueConstraint(
                fields=["order", "kind", "line"],
                condition=Q(line__isnull=False),
                name="incident_one_per_order_kind_line",
            ),
            models.UniqueConstraint(
                fields=["order", "kind"], condition=Q(line__isnull=True), name="incident_one_per_order_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["location", "state", "due_by"], name="incident_location_state_due"),
            models.Index(fields=["opened_at"], name="incident_opened_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class ActionKind(models.TextChoices):
    OPENED = "opened", _("opened")
    REFUNDED = "refunded", _("refunded")
    COUPON_GRANTED = "coupon_granted", _("apology coupon granted")
    REDELIVERY = "redelivery", _("re-delivery arranged")
    SUBSTITUTE_OFFERED = "substitute_offered", _("substitute offered")
    SUBSTITUTE_ACCEPTED = "substitute_accepted", _("substitute accepted")
    SUBSTITUTE_DECLINED = "substitute_declined", _("substitute declined")
    CUSTOMER_CONTACTED = "customer_contacted", _("customer contacted")
    CUSTOMER_TOLD = "customer_told", _("customer told")
    CLOSED = "closed", _("closed out")


class IncidentAction(models.Model):
    """Who did what when on an incident (append-only). `key` is the caller's Idempotency-Key for a
    remedy: a retry finds the first action and does nothing again."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(null=True, blank=True, **money_field_kwargs())
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=80, blank=True)
    note = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActionKind.values), name="incidentaction_kind_valid"),
            models.UniqueConstraint(
                fields=["incident", "key"], condition=Q(key__isnull=False), name="incidentaction_key_unique"
            ),
            # One apology coupon per incident, however many forms asked for one.
            models.UniqueConstraint(
                fields=["incident"], condition=Q(kind="coupon_granted"), name="incidentaction_one_coupon"
            ),
        ]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on incident {self.incident_id}"
