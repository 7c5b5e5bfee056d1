from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class StockLevel(models.Model):
    """Book stock of one SKU at one location: a cached sum of the StockMove ledger."""

    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="stock_levels")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    alert_level = models.PositiveIntegerField(_("low-stock alert level"), default=0)
    # what a replenishment proposal fills the shelf up to; 0: no target (docs/replenishment.md)
    target_level = models.PositiveIntegerField(_("replenishment target level"), default=0)
    # where the SKU sits in this store ("A3"); each store shelves it its own way. A count can
    # cover one aisle (docs/stocktakes.md). Empty: not placed yet.
    aisle = models.CharField(_("aisle"), max_length=10, blank=True, default="")

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["location", "sku"], name="stocklevel_one_per_location_sku"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stocklevel_reserved_within_on_hand"),
            # a target, once set, is at least the alert level (else a proposal would stop short of it)
            models.CheckConstraint(
                condition=Q(target_level=0) | Q(target_level__gte=F("alert_level")),
                name="stocklevel_target_not_below_alert",
            ),
        ]
        indexes = [models.Index(fields=["sku", "location"], name="stocklevel_sku_location")]

    def __str__(self) -> str:
        return f"{self.location_id}/{self.sku_id}: {self.on_hand} ({self.reserved} reserved)"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt")
    SALE = "sale", _("sale")
    RETURN = "return", _("return")
    TRANSFER_OUT = "transfer_out", _("transfer out")
    TRANSFER_IN = "transfer_in", _("transfer in")
    ADJUSTMENT = "adjustment", _("adjustment")
    COUNT = "count", _("stock count")


class AdjustmentReason(models.TextChoices):
    """Why stock left or came back outside a sale, a receipt or a transfer: the standard reasons
    a store reports on (HQ sees shrinkage by reason), plus the stocktake's own."""

    DAMAGED = "damaged", _("damaged")
    EXPIRED = "expired", _("expired")
    THEFT = "theft", _("theft or loss")
    SAMPLE = "sample", _("sample or tasting")
    FOUND = "found", _("found goods")
    COUNT = "count", _("stock count")
    OTHER = "other", _("other (say why)")


# what a person picks for a hand adjustment; "count" comes only from a stocktake
HAND_ADJUSTMENT_REASONS = [r for r in AdjustmentReason if r != AdjustmentReason.COUNT]


class StockMove(models.Model):
    """Append-only ledger: every change of on-hand stock, with who and why."""

    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    quantity = models.IntegerField(_("change of on-hand quantity"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reason_code = models.CharField(
        _("standard reason"), max_length=8, choices=AdjustmentReason.choices, blank=True, default=""
    )
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        indexes = [models.Index(fields=["location", "sku", "created_at"], name="stockmove_location_sku")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockmove_quantity_not_zero"),
            models.CheckConstraint(condition=Q(kind__in=MoveKind.values), name="stockmove_kind_valid"),
            # adjustments and counts always say why, in a standard reason; other moves never have one
            models.CheckConstraint(
                condition=Q(kind__in=[MoveKind.ADJUSTMENT, MoveKind.COUNT], reason_code__in=AdjustmentReason.values)
                | (~Q(kind__in=[MoveKind.ADJUSTMENT, MoveKind.COUNT]) & Q(reason_code="")),
                name="stockmove_reason_code_of_corrections",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} of {self.sku_id} at {self.location_id}"


class Reservation(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        RELEASED = "released", _("released")
        FULFILLED = "fulfilled", _("fulfilled")

    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.CASCADE, related_name="reservations")
    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
            models.CheckConstraint(
                condition=Q(state__in=["active", "released", "fulfilled"]), name="reservation_state_valid"
            ),
            # one live hold per line and product: a line's units and the substitute agreed for some of
            # them (orders.exchanges.substitute_missing_units) are held side by side
            models.UniqueConstraint(
                fields=["order_line", "sku"], condition=Q(state="active"), name="reservation_one_active_per_line_sku"
            ),
        ]
        indexes = [models.Index(fields=["location", "sku", "state"], name="reservation_location_sku_state")]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.sku_id} at {self.location_id} ({self.state})"


class Transfer(models.Model):
    """Goods between two locations: requested (approved, nothing has moved), in transit (the
    source's stock left through a transfer_out move), received (the destination's came in)."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        IN_TRANSIT = "in_transit", _("in transit")
        RECEIVED = "received", _("received")

    source = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="transfers_in")
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_TRANSIT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # why it was asked for ("proposal:12", "request by hand"...) and what carried it ("run:7")
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    shipped_reference = models.CharField(_("shipped with"), max_length=64, blank=True, default="")
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("destination")), name="transfer_distinct_ends"),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "in_transit", "received"]), name="transfer_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "in_transit"], received_at__isnull=True)
                | Q(state="received", received_at__isnull=False),
                name="transfer_received_has_time",
            ),
            # a requested transfer has not left; one that left (or arrived) has its time of leaving
            models.CheckConstraint(
                condition=Q(state="requested", shipped_at__isnull=True)
                | Q(state__in=["in_transit", "received"], shipped_at__isnull=False),
                name="transfer_shipped_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "state"], name="transfer_source_state"),
            models.Index(fields=["destination", "state"], name="transfer_destination_state"),
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk}: {self.source_id} -> {self.destination_id}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transferline_quantity_positive"),
            models.UniqueConstraint(fields=["transfer", "sku"], name="transferline_one_per_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.sku_id}"
