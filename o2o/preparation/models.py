"""Preparation at the store (docs/preparation.md): one row per paid pickup or delivery order,
from the queue (to prepare) through accepted and picked to ready (pickup) or packed (delivery),
closed when the goods are handed over or the order is cancelled, refunded or not collected."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PreparationState(models.TextChoices):
    TO_PREPARE = "to_prepare", _("to prepare")
    ACCEPTED = "accepted", _("in preparation")
    READY = "ready", _("ready for pickup")
    PACKED = "packed", _("packed")
    CLOSED = "closed", _("finished")


# Still work for the store: what the queue and "late preparation" look at.
OPEN_STATES = (PreparationState.TO_PREPARE, PreparationState.ACCEPTED)
DONE_STATES = (PreparationState.READY, PreparationState.PACKED)


class PreparationKind(models.TextChoices):
    PICKUP = "pickup", _("pickup at store")
    DELIVERY = "delivery", _("delivery")


class Preparation(models.Model):
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="preparation")
    # order.fulfilment_location, kept here for the queue's index
    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="preparations")
    # order.fulfilment, kept here so the database can check that only pickups get ready and only deliveries packed
    kind = models.CharField(_("kind"), max_length=10, choices=PreparationKind.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=PreparationState.choices, default=PreparationState.TO_PREPARE
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty when the store accepts orders automatically."),
    )  # fmt: skip
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("preparation")
        verbose_name_plural = _("preparations")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=PreparationState.values), name="preparation_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=PreparationKind.values), name="preparation_kind_valid"),
            # nobody accepted what is still waiting in the queue; everything further was accepted
            models.CheckConstraint(
                condition=~Q(state=PreparationState.TO_PREPARE) | Q(accepted_at__isnull=True, accepted_by__isnull=True),
                name="preparation_to_prepare_not_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=(PreparationState.ACCEPTED, *DONE_STATES)) | Q(accepted_at__isnull=False),
                name="preparation_accepted_has_accepted_at",
            ),
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True) | Q(accepted_at__isnull=False),
                name="preparation_accepted_by_has_accepted_at",
            ),
            # ready/packed (and only those, until closed) carry the time they got there
            models.CheckConstraint(
                condition=~Q(state__in=DONE_STATES) | Q(ready_at__isnull=False), name="preparation_done_has_ready_at"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=OPEN_STATES) | Q(ready_at__isnull=True), name="preparation_open_not_ready"
            ),
            models.CheckConstraint(
                condition=~Q(state=PreparationState.READY) | Q(kind=PreparationKind.PICKUP),
                name="preparation_ready_is_pickup",
            ),
            models.CheckConstraint(
                condition=~Q(state=PreparationState.PACKED) | Q(kind=PreparationKind.DELIVERY),
                name="preparation_packed_is_delivery",
            ),
            models.CheckConstraint(
                condition=Q(state=PreparationState.CLOSED, closed_at__isnull=False)
                | (~Q(state=PreparationState.CLOSED) & Q(closed_at__isnull=True)),
                name="preparation_closed_has_closed_at",
            ),
        ]
        indexes = [models.Index(fields=["location", "state", "due_at"], name="preparation_queue")]

    def __str__(self) -> str:
        return f"preparation of order {self.order_id}: {self.state}"


class PreparationPick(models.Model):
    """One order line being picked: units taken from the shelf and units the shelf lacked."""

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="picks")
    line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="pick")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    ordered = models.PositiveIntegerField(_("ordered"))  # the line's quantity, for the CHECK below
    picked_quantity = models.PositiveIntegerField(_("picked"), default=0)
    short_quantity = models.PositiveIntegerField(_("short"), default=0)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pick")
        verbose_name_plural = _("picks")
        constraints = [
            models.CheckConstraint(condition=Q(ordered__gt=0), name="preparationpick_ordered_positive"),
            # never more picked (or picked + missing) than the customer ordered
            models.CheckConstraint(
                condition=Q(picked_quantity__gte=0, short_quantity__gte=0)
                & Q(picked_quantity__lte=F("ordered") - F("short_quantity")),
                name="preparationpick_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.picked_quantity}/{self.ordered} of {self.sku_id}"

    @property
    def complete(self) -> bool:
        return self.picked_quantity + self.short_quantity == self.ordered
