from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    class Kind(models.TextChoices):
        STORE = "store", _("store")
        WAREHOUSE = "warehouse", _("warehouse")
        WORKSHOP = "workshop", _("partner workshop")

    class Ownership(models.TextChoices):
        DIRECT = "direct", _("directly operated")
        FRANCHISE = "franchise", _("franchise")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.STORE)
    ownership = models.CharField(_("ownership"), max_length=12, choices=Ownership.choices, default=Ownership.DIRECT)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="locations")
    address = models.CharField(_("address"), max_length=255)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    opens_at = models.TimeField(_("opens at"), default=time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=time(21, 0))
    pickup_enabled = models.BooleanField(_("pickup enabled"), default=True)
    delivery_radius_km = models.DecimalField(_("delivery radius (km)"), max_digits=5, decimal_places=1, default=0)
    online_orders_reserve_stock = models.BooleanField(
        _("online orders may reserve this location's stock"), default=True
    )
    online_safety_buffer = models.PositiveIntegerField(
        _("units of shelf stock kept back from online orders"),
        null=True,
        blank=True,
        help_text=_("Empty: the chain's default."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Store fulfilment: how long staff need to prepare an online order, whether new orders are
    # accepted without a tap, and how many pickups a half-hour slot takes (empty: no limit).
    preparation_minutes = models.PositiveSmallIntegerField(
        _("preparation time target (minutes)"), default=15, db_default=15
    )
    auto_accept_orders = models.BooleanField(
        _("accept new online orders automatically"), default=False, db_default=False
    )
    pickup_slot_capacity = models.PositiveSmallIntegerField(
        _("pickups per half-hour slot"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    franchise_share_percent = models.DecimalField(
        _("franchise share of online orders (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        db_default=0,  # rows written by code that predates the field (older migrations) get 0 too
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Franchise stores: the percentage of the online orders they fulfil that is owed to them."),
    )

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        indexes = [models.Index(fields=["latitude", "longitude"], name="location_lat_lng")]
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="location_latitude_range"),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="location_longitude_range"
            ),
            models.CheckConstraint(condition=Q(delivery_radius_km__gte=0), name="location_radius_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["store", "warehouse", "workshop"]), name="location_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(franchise_share_percent__gte=0, franchise_share_percent__lte=100),
                name="location_franchise_share_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(preparation_minutes__gte=1, preparation_minutes__lte=24 * 60),
                name="location_preparation_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(pickup_slot_capacity__isnull=True) | Q(pickup_slot_capacity__gte=1),
                name="location_pickup_slot_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open_at(self, moment: time) -> bool:
        if self.opens_at < self.closes_at:
            return self.opens_at <= moment < self.closes_at
        # closes past midnight (opens 18:00, closes 02:00); equal times mean open round the clock
        return moment >= self.opens_at or moment < self.closes_at
