"""Each app's part of a member's data rights: export sections, deletion blockers, erasers.

Registered on import (PrivacyConfig.ready). Privacy sits above every app that keeps member
data, so it reads their models here; a new app adds its functions and register calls below.
Everything is read with a fixed number of queries, however many orders the member has.
"""

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import actor_for_member
from o2o.core.models import OutboxMessage
from o2o.installments import selectors as installments
from o2o.installments.models import OPEN_PLAN_STATES, InstallmentPlan
from o2o.leads import selectors as leads
from o2o.leads import services as lead_services
from o2o.loyalty import selectors as loyalty
from o2o.loyalty.models import GrowthEntry, LevelChange, PointsEarning
from o2o.members import selectors as member_notes
from o2o.members import services as member_services
from o2o.members.models import Member, OneTimeCode
from o2o.orders.models import Order, OrderState, OrderTransition
from o2o.payments.models import Payment, Refund
from o2o.pickup.models import PickupVoucher
from o2o.privacy import messages_and_incidents
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord
from o2o.privacy.registry import Blocker, register_blocker, register_eraser, register_section
from o2o.wallet import selectors as wallets
from o2o.wallet.models import PaymentCode

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
        "discounts": [
            {"source": d.source, "label": d.label, "amount": d.amount}
            for d in sorted(line.discounts.all(), key=lambda d: d.pk)
        ],
        "discount_total": line.discount_total,
        "net_amount": line.net_amount,
        "returned_quantity": line.returned_quantity,
    }


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "method": payment.method,
        "state": payment.state,
        "amount": payment.amount,
        "points": payment.points,  # a points tender: how many points paid `amount`
        "refunded_amount": payment.refunded_amount,
        "installments": (
            {
                "periods": payment.installment_periods,
                "fee": payment.installment_fee,
                "fee_borne_by": payment.installment_fee_borne_by,
            }
            if payment.installment_periods
            else None
        ),
        "created_at": payment.created_at,
        "succeeded_at": payment.succeeded_at,
        "refunds": [
            {
                "amount": refund.amount,
                "points": refund.points,
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
            "lines__discounts",
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
            "discount_total": order.discount_total,
            "delivery_fee": order.delivery_fee,
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


def _tender_orders(member: Member) -> dict[str, str]:
    """The order number behind each ledger reference of the member's tenders ("payment:<id>",
    "refund:<id>"), also for orders that are not the member's (a counter sale paid by their code)."""
    paid = Payment.objects.filter(payer=member).values_list("pk", "order__number")
    refunded = Refund.objects.filter(payment__payer=member).values_list("pk", "payment__order__number")
    return {f"payment:{pk}": number for pk, number in paid} | {f"refund:{pk}": number for pk, number in refunded}


def wallet(member: Member) -> dict[str, Any]:
    held = wallets.balance(member_id=member.pk)
    orders_of = _tender_orders(member)
    return {
        "principal": held.principal,
        "bonus": held.bonus,
        "frozen": held.frozen,
        "entries": [
            {
                "kind": e.kind,
                "principal": e.principal_delta,
                "bonus": e.bonus_delta,
                "order": orders_of.get(e.reference),
                "store": e.location.name if e.location else None,
                "note": e.note,
                "at": e.created_at,
            }
            for e in wallets.entries_of(member_id=member.pk).select_related("location").order_by("created_at", "pk")
        ],
        "top_ups": [
            {
                "amount": t.amount,
                "bonus": t.bonus,
                "method": t.method,
                "state": t.state,
                "store": t.location.name if t.location else None,
                "at": t.created_at,
                "succeeded_at": t.succeeded_at,
            }
            for t in wallets.top_ups_of(member_id=member.pk).select_related("location").order_by("created_at", "pk")
        ],
    }


def _order_numbers(member: Member) -> dict[int, str]:
    """Loyalty keeps plain order ids (it sits below orders): the export shows the numbers."""
    return dict(Order.objects.filter(member=member).values_list("pk", "number"))


def points(member: Member) -> dict[str, Any]:
    held = loyalty.points_balance(member_id=member.pk)
    numbers = _order_numbers(member)
    orders_of = _tender_orders(member)
    return {
        "available": held.available,
        "pending": held.pending,
        "entries": [
            {
                "kind": e.kind,
                "points": e.points,
                "order": numbers.get(e.order_id) or orders_of.get(e.reference),
                "expires_at": e.expires_at,
                "note": e.note,
                "at": e.created_at,
            }
            for e in loyalty.points_history(member_id=member.pk).order_by("created_at", "pk")
        ],
        "earnings": [
            {
                "order": numbers.get(e.order_id),
                "quantity": e.quantity,
                "points": e.points,
                "returned_quantity": e.returned_quantity,
                "reversed_points": e.reversed_points,
                "state": e.state,
                "earned_at": e.created_at,
                "settled_at": e.settled_at,
            }
            for e in PointsEarning.objects.filter(member=member).order_by("created_at", "pk")
        ],
    }


def levels(member: Member) -> dict[str, Any]:
    numbers = _order_numbers(member)
    changes = LevelChange.objects.filter(member=member).select_related("from_level", "to_level")
    return {
        "growth": [
            {"order": numbers.get(g.order_id), "amount": g.amount, "at": g.at}
            for g in GrowthEntry.objects.filter(member=member).order_by("at", "pk")
        ],
        "changes": [
            {
                "from": c.from_level.code if c.from_level else None,
                "to": c.to_level.code if c.to_level else None,
                "growth": c.growth,
                "at": c.at,
            }
            for c in changes.order_by("at", "pk")
        ],
    }


def installment_plans(member: Member) -> list[dict[str, Any]]:
    plans = (
        installments.plans_for(actor=actor_for_member(member))
        .select_related("location")
        .prefetch_related("repayments__location")
        .order_by("created_at", "pk")
    )
    return [
        {
            "order": plan.order.number,
            "state": plan.state,
            "periods": plan.periods,
            "down_payment": plan.down_payment,
            "financed_amount": plan.financed_amount,
            "fee_percent": plan.fee_percent,
            "fee": plan.fee,
            "reduced_by_returns": plan.credit_refunded,
            "store": plan.location.name if plan.location else None,
            "created_at": plan.created_at,
            "settled_at": plan.settled_at,
            "dues": [
                {
                    "number": d.seq,
                    "due_date": d.due_date,
                    "amount": d.amount,
                    "paid_amount": d.paid_amount,
                    "paid_at": d.paid_at,
                    "state": d.state,
                }
                for d in sorted(plan.dues.all(), key=lambda d: d.seq)
            ],
            "repayments": [
                {
                    "kind": r.kind,
                    "amount": r.amount,
                    "method": r.method,
                    "store": r.location.name if r.location else None,
                    "at": r.created_at,
                }
                for r in sorted(plan.repayments.all(), key=lambda r: r.pk)
            ],
        }
        for plan in plans
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


def wallet_principal(member: Member) -> Blocker | None:
    held = wallets.balance(member_id=member.pk)
    if held.principal <= 0:
        return None
    return Blocker(
        kind="wallet_principal",
        message=_(
            "Your wallet still holds ¥%(principal)s you paid in: ask for it back first (at a store or from "
            "customer service). The bonus of ¥%(bonus)s is forfeited when the account is deleted."
        )
        % {"principal": held.principal, "bonus": held.bonus},
        detail={"principal": str(held.principal), "bonus": str(held.bonus)},
    )


def open_installment_plans(member: Member) -> Blocker | None:
    numbers = list(
        InstallmentPlan.objects.filter(member=member, state__in=OPEN_PLAN_STATES)
        .order_by("pk")
        .values_list("order__number", flat=True)
    )
    if not numbers:
        return None
    return Blocker(
        kind="installment_plans",
        message=_("Installment plans still running (orders %(orders)s): pay them off first.")
        % {"orders": ", ".join(numbers)},
        detail={"orders": numbers},
    )


# --- erasers ---------------------------------------------------------------------------------
# They write other apps' rows directly: each is the one place that app's personal fields are
# blanked, and it runs inside the deletion's transaction with the member row locked.


def order_addresses(member: Member) -> None:
    Order.objects.filter(member=member).exclude(delivery_address="").update(delivery_address=ERASED)


def live_payment_codes(member: Member) -> None:
    """A pay code shown a moment ago must not spend what is left in the wallet (the bonus)."""
    PaymentCode.objects.filter(member=member, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=timezone.now()
    )


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
register_section("wallet", wallet)
register_section("points", points)
register_section("level_history", levels)
register_section("installment_plans", installment_plans)
register_section("leads_about_me", leads.leads_about)  # what employees noted about the member
register_section("tags_and_notes", member_notes.tags_and_notes_about)  # chain tags, staff notes
register_section("notifications", messages_and_incidents.notifications)
register_section("incidents", messages_and_incidents.incidents)  # failures of the member's orders

register_blocker("open_orders", open_orders)
register_blocker("wallet_principal", wallet_principal)
register_blocker("installment_plans", open_installment_plans)

register_eraser("order_addresses", order_addresses)
register_eraser("payment_codes", live_payment_codes)
register_eraser("phone_traces", phone_traces)
register_eraser(
    "leads",
    lambda m: lead_services.forget_member(member_id=m.pk, phone=m.phone, placeholder=placeholder_phone(m.pk)),
)
register_eraser("tags_and_notes", lambda m: member_services.forget_tags_and_notes(member_id=m.pk))
register_eraser(
    "notifications",
    lambda m: messages_and_incidents.erase_notifications(m, placeholder=placeholder_phone(m.pk)),
)
