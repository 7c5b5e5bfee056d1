"""Delivery runs: vans leaving a depot (a warehouse or a store) with packed delivery orders and
requested store transfers, their stops in the order the routing solver chose, and the proof of
each delivery; and orders handed to a third-party courier instead (docs/delivery.md)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class Vehicle(models.Model):
    depot = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="vehicles")
    name = models.CharField(_("name"), max_length=60)
    capacity_units = models.PositiveIntegerField(_("capacity (units)"))
    max_stops = models.PositiveSmallIntegerField(_("most stops per run"), default=40)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_units__gt=0, max_stops__gt=0), name="vehicle_capacity_positive"
            ),
            models.UniqueConstraint(fields=["depot", "name"], name="vehicle_name_unique_per_depot"),
        ]

    def __str__(self) -> str:
        return self.name


class RunState(models.TextChoices):
    PLANNED = "planned", _("planned")
    DISPATCHED = "dispatched", _("on the road")
    FINISHED = "finished", _("finished")


class DeliveryRun(models.Model):
    depot = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="delivery_runs")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="runs")
    driver = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_runs"
    )
    date = models.DateField(_("date"))
    state = models.CharField(_("state"), max_length=12, choices=RunState.choices, default=RunState.PLANNED)
    planned_distance_m = models.PositiveIntegerField(_("planned distance (m)"), default=0)
    planned_duration_s = models.PositiveIntegerField(_("planned time (s)"), default=0)
    solver = models.CharField(_("planned by"), max_length=16, blank=True)  # "ortools" or "heuristic"
    planned_at = models.DateTimeField(_("planned at"), auto_now=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery run")
        verbose_name_plural = _("delivery runs")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=RunState.values), name="deliveryrun_state_valid"),
            # one run per van and day: a re-plan updates it instead of adding another
            models.UniqueConstraint(fields=["vehicle", "date"], name="deliveryrun_one_per_vehicle_day"),
            models.CheckConstraint(
                condition=Q(state="planned") | Q(dispatched_at__isnull=False, driver__isnull=False),
                name="deliveryrun_dispatched_has_time_and_driver",
            ),
            models.CheckConstraint(
                condition=~Q(state="finished") | Q(finished_at__isnull=False), name="deliveryrun_finished_has_time"
            ),
        ]
        indexes = [models.Index(fields=["depot", "date"], name="deliveryrun_depot_date")]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.date}"

    @property
    def distance_km(self) -> float:
        return round(self.planned_distance_m / 1000, 1)

    @property
    def duration_minutes(self) -> int:
        return round(self.planned_duration_s / 60)


class StopState(models.TextChoices):
    PENDING = "pending", _("to deliver")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("not delivered")


# A stop that still counts for its order or transfer: an order is on one such stop at a time.
ACTIVE_STOP_STATES = (StopState.PENDING, StopState.DELIVERED)


class FailureReason(models.TextChoices):
    NOBODY_HOME = "nobody_home", _("nobody at the address")
    WRONG_ADDRESS = "wrong_address", _("address wrong or not found")
    REFUSED = "refused", _("customer refused the goods")
    DAMAGED = "damaged", _("goods damaged on the way")
    NO_ACCESS = "no_access", _("could not get in (gate, building)")
    OTHER = "other", _("other (see note)")


class Proof(models.TextChoices):
    CODE = "code", _("customer's code")
    PHOTO = "photo", _("photo")


class RunStop(models.Model):
    run = models.ForeignKey(DeliveryRun, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField(_("stop"))
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_stops"
    )
    transfer = models.ForeignKey(
        "inventory.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery_stops"
    )
    address = models.CharField(_("address"), max_length=255)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    units = models.PositiveIntegerField(_("units"))
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    planned_arrival = models.DateTimeField(_("planned arrival"))
    state = models.CharField(_("state"), max_length=10, choices=StopState.choices, default=StopState.PENDING)
    # Issued at dispatch and shown on the customer's order page; the driver types it in.
    delivery_code = models.CharField(max_length=4, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    proof = models.CharField(_("proof"), max_length=8, choices=Proof.choices, blank=True)
    photo = models.ImageField(_("photo"), upload_to="delivery/proofs/%Y/%m/", blank=True)
    failure_reason = models.CharField(_("reason"), max_length=16, choices=FailureReason.choices, blank=True)
    failure_note = models.CharField(_("note"), max_length=255, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ["run", "sequence"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False, transfer__isnull=True) | Q(order__isnull=True, transfer__isnull=False),
                name="runstop_order_xor_transfer",
            ),
            models.UniqueConstraint(fields=["run", "sequence"], name="runstop_sequence_unique"),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(order__isnull=False, state__in=["pending", "delivered"]),
                name="runstop_one_active_per_order",
            ),
            models.UniqueConstraint(
                fields=["transfer"],
                condition=Q(transfer__isnull=False, state__in=["pending", "delivered"]),
                name="runstop_one_active_per_transfer",
            ),
            models.CheckConstraint(condition=Q(state__in=StopState.values), name="runstop_state_valid"),
            models.CheckConstraint(condition=Q(window_start__lte=F("window_end")), name="runstop_window_ordered"),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(proof__in=Proof.values, completed_at__isnull=False),
                name="runstop_delivered_has_proof",
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | Q(failure_reason__in=FailureReason.values, completed_at__isnull=False),
                name="runstop_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(failure_reason="other") | ~Q(failure_note=""), name="runstop_other_reason_has_note"
            ),
            models.CheckConstraint(condition=~Q(proof="photo") | ~Q(photo=""), name="runstop_photo_proof_has_photo"),
        ]

    def __str__(self) -> str:
        return f"{self.run} #{self.sequence}"


class CourierState(models.TextChoices):
    REQUESTED = "requested", _("requested")  # ours, claimed under the order lock; the courier not yet answered
    BOOKED = "booked", _("booked")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


ACTIVE_COURIER_STATES = (
    CourierState.REQUESTED,
    CourierState.BOOKED,
    CourierState.OUT_FOR_DELIVERY,
    CourierState.DELIVERED,
)


class CourierBooking(models.Model):
    """A delivery order handed to a third-party courier instead of a run."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="courier_bookings")
    courier = models.CharField(_("courier"), max_length=24)
    external_id = models.CharField(max_length=64, blank=True)  # the courier's id; blank until it answers
    fee = models.DecimalField(_("fee"), **money_field_kwargs(), default=0)
    state = models.CharField(_("state"), max_length=18, choices=CourierState.choices, default=CourierState.REQUESTED)
    # the caller's Idempotency-Key: a retried booking of the order answers with this row
    request_key = models.CharField(max_length=80, blank=True)
    eta = models.DateTimeField(_("ETA"), null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("courier booking")
        verbose_name_plural = _("courier bookings")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CourierState.values), name="courierbooking_state_valid"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="courierbooking_fee_not_negative"),
            models.UniqueConstraint(
                fields=["courier", "external_id"], condition=~Q(external_id=""), name="courierbooking_external_unique"
            ),
            models.CheckConstraint(
                condition=Q(state="requested") | Q(state="cancelled") | ~Q(external_id=""),
                name="courierbooking_booked_has_external_id",
            ),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state__in=["requested", "booked", "out_for_delivery", "delivered"]),
                name="courierbooking_one_active_per_order",
            ),
            models.UniqueConstraint(
                fields=["order", "request_key"], condition=~Q(request_key=""), name="courierbooking_request_key_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.courier} {self.external_id}"


class CourierEvent(models.Model):
    """Each status callback applied once (the courier's event id is unique)."""

    booking = models.ForeignKey(CourierBooking, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64)
    status = models.CharField(max_length=18)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "event_id"], name="courierevent_once")]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.status}"
