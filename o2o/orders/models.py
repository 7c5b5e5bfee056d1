from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from o2o.catalog.models import Channel
from o2o.core.money import money_field_kwargs
from o2o.pricing.models import DiscountSource


class OrderState(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("awaiting payment")
    PAID = "paid", _("paid")
    READY_FOR_PICKUP = "ready_for_pickup", _("ready for pickup")
    PICKED_UP = "picked_up", _("picked up")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
    DELIVERED = "delivered", _("delivered")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    REFUNDED = "refunded", _("refunded")
    # A pickup order nobody came for: the voucher expired, the stock went back, the money too.
    UNCOLLECTED = "uncollected", _("not collected, refunded")


# States in which the order has been paid (a paid time is recorded; the database checks it).
PAID_STATES = (
    OrderState.PAID,
    OrderState.READY_FOR_PICKUP,
    OrderState.PICKED_UP,
    OrderState.OUT_FOR_DELIVERY,
    OrderState.DELIVERED,
    OrderState.COMPLETED,
    OrderState.REFUNDED,
    OrderState.UNCOLLECTED,
)


class Fulfilment(models.TextChoices):
    PICKUP = "pickup", _("pickup at store")
    DELIVERY = "delivery", _("delivery")
    IN_STORE = "in_store", _("in-store sale")


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=20, unique=True)
    # The three keys below are indexed first in the composite indexes of Meta, which serve their
    # lookups; an index of their own would only cost every order's INSERT and state change.
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices)
    state = models.CharField(_("state"), max_length=20, choices=OrderState.choices, default=OrderState.PENDING_PAYMENT)
    selling_location = models.ForeignKey(
        "stores.Location",
        on_delete=models.PROTECT,
        related_name="orders_sold",
        db_index=False,
        help_text=_("The store credited with the sale."),
    )
    fulfilment_location = models.ForeignKey(
        "stores.Location",
        on_delete=models.PROTECT,
        related_name="orders_fulfilled",
        db_index=False,
        help_text=_("Where the goods come from: the pickup store or the shipping location."),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The clerk who placed it for a customer."),
    )
    referrer = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.PROTECT, related_name="referred_orders"
    )
    delivery_address = models.CharField(_("delivery address"), max_length=255, blank=True)
    # The money model (docs/pricing.md): subtotal = the lines' list prices x quantities; discounts
    # come off it line by line; the delivery fee goes on; total is what the customer pays.
    subtotal = models.DecimalField(_("subtotal"), **money_field_kwargs())
    discount_total = models.DecimalField(_("discounts"), default=0, **money_field_kwargs())
    delivery_fee = models.DecimalField(_("delivery fee"), default=0, **money_field_kwargs())
    total = models.DecimalField(_("total"), **money_field_kwargs())
    refunded_total = models.DecimalField(_("refunded"), default=0, **money_field_kwargs())
    payment_deadline = models.DateTimeField(_("pay before"), null=True, blank=True)
    # The pickup slot the customer chose (its start); empty: as soon as it is ready.
    pickup_at = models.DateTimeField(_("pickup from"), null=True, blank=True)
    # Paid, but waiting for something outside the order (a group buy to fill up): not prepared,
    # not handed over until released; refunded if it never is.
    on_hold = models.BooleanField(_("on hold"), default=False)
    # The special offer it was bought through ("flash:7", "group:3", "chain:5"; o2o.pricing.claims),
    # so the offer's handlers know their orders without a query.
    offer = models.CharField(_("offer"), max_length=40, blank=True)
    idempotency_scope = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=OrderState.values), name="order_state_valid"),
            models.CheckConstraint(condition=Q(fulfilment__in=Fulfilment.values), name="order_fulfilment_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="order_channel_valid"),
            models.CheckConstraint(condition=Q(total__gte=0, subtotal__gte=0), name="order_amounts_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0, discount_total__lte=F("subtotal"), delivery_fee__gte=0),
                name="order_discount_within_subtotal",
            ),
            models.CheckConstraint(
                # ROUND: SQLite computes with floats (9.99 - 1.00 + 8.00 is 16.990000000000002 there)
                condition=Q(total=Round(F("subtotal") - F("discount_total") + F("delivery_fee"), 2)),
                name="order_total_is_subtotal_less_discounts_plus_delivery",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0, refunded_total__lte=F("total")), name="order_refund_within_total"
            ),
            models.CheckConstraint(
                condition=~Q(fulfilment="delivery") | ~Q(delivery_address=""), name="order_delivery_has_address"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=PAID_STATES) | Q(paid_at__isnull=False), name="order_paid_has_paid_at"
            ),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "payment_deadline"], name="order_state_deadline"),
            models.Index(fields=["selling_location", "created_at"], name="order_selling_created"),
            models.Index(fields=["fulfilment_location", "state"], name="order_fulfilment_state"),
            models.Index(fields=["member", "created_at"], name="order_member_created"),
            models.Index(fields=["created_at"], name="order_created"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **money_field_kwargs())
    line_total = models.DecimalField(_("line total"), **money_field_kwargs())  # gross: list price x quantity
    discount_total = models.DecimalField(_("discounts"), default=0, **money_field_kwargs())
    net_amount = models.DecimalField(_("net amount"), **money_field_kwargs())  # what the customer pays for it
    returned_quantity = models.PositiveIntegerField(_("returned"), default=0)
    # Units swapped at the counter for another variant (Exchange): the customer keeps those, so
    # they can no longer come back as this line's SKU.
    exchanged_quantity = models.PositiveIntegerField(_("exchanged"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(exchanged_quantity__lte=F("quantity") - F("returned_quantity")),
                name="orderline_exchange_within_kept",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_not_negative"),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=F("quantity")), name="orderline_return_within_sold"
            ),
            models.CheckConstraint(
                condition=Q(line_total=Round(F("unit_price") * F("quantity"), 2)), name="orderline_total_is_price_x_qty"
            ),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0, discount_total__lte=F("line_total")),
                name="orderline_discount_within_total",
            ),
            models.CheckConstraint(
                condition=Q(net_amount=Round(F("line_total") - F("discount_total"), 2)),
                name="orderline_net_is_total_less_discounts",
            ),
            models.UniqueConstraint(fields=["order", "sku"], name="orderline_one_per_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku_id}"


class Exchange(models.Model):
    """换货: units of a handed-over line swapped at the counter for another variant (another SKU of
    the same product) at the same unit price; no money moves."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="exchanges")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="exchanges")
    from_sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    to_sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=80)  # the request's: one exchange per key and order
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="exchange_quantity_positive"),
            models.CheckConstraint(condition=~Q(from_sku=F("to_sku")), name="exchange_to_another_sku"),
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="exchange_one_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.from_sku_id} -> {self.to_sku_id}"


class OrderLineDiscount(models.Model):
    """One discount taken off an order line (a promotion, a coupon, the member level, a manual
    discount), as priced when the order was placed. Lines without discounts have none."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(_("source"), max_length=16, choices=DiscountSource.choices)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    label = models.CharField(_("label"), max_length=120)
    rule_ref = models.CharField(_("rule"), max_length=80, blank=True)
    campaign = models.ForeignKey(
        "pricing.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="discounts"
    )

    class Meta:
        verbose_name = _("order line discount")
        verbose_name_plural = _("order line discounts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="orderlinediscount_amount_positive"),
            models.CheckConstraint(
                condition=Q(source__in=DiscountSource.values), name="orderlinediscount_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: -{self.amount}"


class OrderTransition(models.Model):
    """The order's history: every state change with who made it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.from_state} -> {self.to_state}"
