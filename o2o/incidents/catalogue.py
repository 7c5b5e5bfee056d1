"""The catalogue of failures: for every step of fulfilment, what can go wrong, the standard remedy
and how long the store (or customer service) has to act. It is code, not data: the kinds are the
values stored on Incident rows (CHECK constraints), and the windows are the service level the
chain promises its customers. docs/incidents.md has the table."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class Step(models.TextChoices):
    PREPARATION = "preparation", _("preparing the order")
    PICKUP = "pickup", _("pickup")
    DELIVERY = "delivery", _("delivery")
    PAYMENT = "payment", _("payment")
    AFTER_SALE = "after_sale", _("after sale")


class IncidentKind(models.TextChoices):
    ITEM_MISSING = "item_missing", _("item missing at pick")
    LATE_PREPARATION = "late_preparation", _("late preparation")
    LATE_DELIVERY = "late_delivery", _("late delivery")
    DELIVERY_FAILED = "delivery_failed", _("delivery failed")
    WRONG_ITEM = "wrong_item", _("wrong item")
    DAMAGED_ITEM = "damaged_item", _("damaged item")
    PAYMENT_FAILED = "payment_failed", _("payment taken but order failed")
    NO_SHOW = "no_show", _("customer did not collect")


class RemedyKind(models.TextChoices):
    PARTIAL_REFUND = "partial_refund", _("refund of the line's units")
    APOLOGY_COUPON = "apology_coupon", _("apology coupon for the customer")
    REDELIVERY = "redelivery", _("deliver again")
    SUBSTITUTE = "substitute", _("substitute with the customer's consent")
    CONTACT_CUSTOMER = "contact_customer", _("contact the customer")


@dataclass(frozen=True)
class Failure:
    kind: str
    step: str
    remedy: str  # the standard remedy proposed when the incident opens
    window: timedelta  # time to act, from opening
    needs_line: bool  # the failure concerns one order line (and some of its units)


CATALOGUE: dict[str, Failure] = {
    f.kind: f
    for f in (
        Failure(IncidentKind.ITEM_MISSING, Step.PREPARATION, RemedyKind.PARTIAL_REFUND, timedelta(minutes=30), True),
        Failure(
            IncidentKind.LATE_PREPARATION, Step.PREPARATION, RemedyKind.APOLOGY_COUPON, timedelta(minutes=30), False
        ),
        Failure(IncidentKind.LATE_DELIVERY, Step.DELIVERY, RemedyKind.APOLOGY_COUPON, timedelta(hours=2), False),
        Failure(IncidentKind.DELIVERY_FAILED, Step.DELIVERY, RemedyKind.REDELIVERY, timedelta(hours=2), False),
        Failure(IncidentKind.WRONG_ITEM, Step.AFTER_SALE, RemedyKind.REDELIVERY, timedelta(hours=2), True),
        Failure(IncidentKind.DAMAGED_ITEM, Step.AFTER_SALE, RemedyKind.PARTIAL_REFUND, timedelta(hours=2), True),
        Failure(IncidentKind.PAYMENT_FAILED, Step.PAYMENT, RemedyKind.APOLOGY_COUPON, timedelta(hours=2), False),
        Failure(IncidentKind.NO_SHOW, Step.PICKUP, RemedyKind.CONTACT_CUSTOMER, timedelta(hours=24), False),
    )
}


def failure(kind: str) -> Failure:
    return CATALOGUE[kind]
