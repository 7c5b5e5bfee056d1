"""Each app's part of a member's data rights: export sections, deletion blockers, erasers.

Registered on import (PrivacyConfig.ready). Privacy sits above every app that keeps member
data, so it reads their models here; a new app adds its functions and register calls below.
Everything is read with a fixed number of queries, however many orders the member has.
"""

from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from o2o.core.models import OutboxMessage
from o2o.members.models import Member, OneTimeCode
from o2o.orders.models import Order, OrderState, OrderTransition
from o2o.payments.models import Payment
from o2o.pickup.models import PickupVoucher
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord
from o2o.privacy.registry import Blocker, register_blocker, register_eraser, register_section

# An order in one of these states needs nothing more from the customer (or from us).
FINISHED_ORDER_STATES = frozenset(
    {OrderState.COMPLETED, OrderState.CANCELLED, OrderState.REFUNDED, OrderState.UNCOLLECTED}
)
# What an erased delivery address reads (a delivery order must keep a non-empty address: a CHECK).
ERASED = "[deleted]"


def placeholder_phone(member_id: int) -> str:
    """The phone of a deleted account: "+999" and the member id in 12 digits. It passes the E.164
    CHECK and is unique, but +999 is no country: no code can be sent to it or signed in with."""
    return f"+999{member_id:012d}"


# --- export sections -------------------------------------------------------------------------


def profile(member: Member) -> dict[str, Any]:
    location = member.acquiring_location
    return {
        "id": member.pk,
        "phone": member.phone,  # in full: it is theirs
        "name": member.name,
        "joined_at": member.created_at,
        "registration_channel": member.registration_channel,
        "joined_at_store": {"code": location.code, "name": location.name} if location else None,
        "level": {"code": member.level.code, "name": member.level.name} if member.level else None,
        "marketing_consent": member.marketing_consent,
        "marketing_consent_decided_at": member.marketing_consent_at,
        "marketing_consent_source": member.marketing_consent_source,
    }


def consent_history(member: Member) -> list[dict[str, Any]]:
    records = MarketingConsentRecord.objects.filter(member=member).order_by("at", "pk")
    return [{"given": r.given, "at": r.at, "source": r.source} for r in records]


def data_requests(member: Member) -> list[dict[str, Any]]:
    events = DataRightsEvent.objects.filter(member=member).order_by("at", "pk")
    return [{"kind": e.kind, "via": e.via, "at": e.at} for e in events]


def _line(line) -> dict[str, Any]:
    return {
        "sku": line.sku.code,
        "name": line.sku.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "line_total": line.line_total,
        "returned_quantity": line.returned_quantity,
    }


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "method": payment.method,
        "state": payment.state,
        "amount": payment.amount,
        "refunded_amount": payment.refunded_amount,
        "created_at": payment.created_at,
        "succeeded_at": payment.succeeded_at,
        "refunds": [
            {
                "amount": refund.amount,
                "reason": refund.reason,
                "state": refund.state,
                "requested_at": refund.created_at,
                "finished_at": refund.finished_at,
            }
            for refund in payment.refunds.all()
        ],
    }


def orders(member: Member) -> list[dict[str, Any]]:
    found = (
        Order.objects.filter(member=member)
        .select_related("selling_location", "fulfilment_location")
        .prefetch_related(
            "lines__sku",
            Prefetch("payments", queryset=Payment.objects.order_by("pk").prefetch_related("refunds")),
            Prefetch("transitions", queryset=OrderTransition.objects.order_by("at", "pk")),
        )
        .order_by("created_at", "pk")
    )
    return [
        {
            "number": order.number,
            "state": order.state,
            "channel": order.channel,
            "fulfilment": order.fulfilment,
            "store": order.selling_location.name,
            "fulfilled_from": order.fulfilment_location.name,
            "delivery_address": order.delivery_address,
            "subtotal": order.subtotal,
            "total": order.total,
            "refunded_total": order.refunded_total,
            "placed_at": order.created_at,
            "paid_at": order.paid_at,
            "closed_at": order.closed_at,
            "lines": [_line(line) for line in sorted(order.lines.all(), key=lambda line: line.pk)],
            "payments": [_payment(payment) for payment in order.payments.all()],
            "history": [{"from": t.from_state, "to": t.to_state, "at": t.at} for t in order.transitions.all()],
        }
        for order in found
    ]


def pickup_vouchers(member: Member) -> list[dict[str, Any]]:
    """The vouchers without their codes: a download must not hand over a live pickup code."""
    vouchers = (
        PickupVoucher.objects.filter(order__member=member)
        .select_related("order", "location")
        .order_by("issued_at", "pk")
    )
    return [
        {
            "order": v.order.number,
            "store": v.location.name,
            "state": v.state,
            "issued_at": v.issued_at,
            "expires_at": v.expires_at,
            "redeemed_at": v.redeemed_at,
        }
        for v in vouchers
    ]


# --- deletion blockers -----------------------------------------------------------------------


def open_orders(member: Member) -> Blocker | None:
    numbers = list(
        Order.objects.filter(member=member)
        .exclude(state__in=FINISHED_ORDER_STATES)
        .order_by("pk")
        .values_list("number", flat=True)
    )
    if not numbers:
        return None
    return Blocker(
        kind="open_orders",
        message=_("Orders not finished yet (%(orders)s): wait until they are completed, or cancel them.")
        % {"orders": ", ".join(numbers)},
        detail={"orders": numbers},
    )


# --- erasers ---------------------------------------------------------------------------------
# They write other apps' rows directly: each is the one place that app's personal fields are
# blanked, and it runs inside the deletion's transaction with the member row locked.


def order_addresses(member: Member) -> None:
    Order.objects.filter(member=member).exclude(delivery_address="").update(delivery_address=ERASED)


def phone_traces(member: Member) -> None:
    """Messages sent to the phone and its sign-in codes carry the number itself."""
    placeholder = placeholder_phone(member.pk)
    OutboxMessage.objects.filter(recipient=member.phone).update(recipient=placeholder, secret="")
    OneTimeCode.objects.filter(phone=member.phone).delete()


register_section("profile", profile)
register_section("marketing_consent_history", consent_history)
register_section("data_requests", data_requests)
register_section("orders", orders)
register_section("pickup_vouchers", pickup_vouchers)

register_blocker("open_orders", open_orders)

register_eraser("order_addresses", order_addresses)
register_eraser("phone_traces", phone_traces)
