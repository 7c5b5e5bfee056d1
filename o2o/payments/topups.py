"""Wallet top-ups that go through a payment gateway (payments sits above wallet).

Online: `start_online_top_up` opens a pending TopUp with a gateway reference and returns the pay
URL; the gateway's signed callback reaches `payments.services._apply_callback`, which finds no
order payment for the reference and hands the event to `settle_top_up_callback` here, inside its
transaction, before it records the GatewayCallback row (so a replayed event id is refused there).
The TopUp's own conditional UPDATE (pending -> succeeded) makes the credit exactly-once against a
second event id for the same top-up too.

This module must not import `o2o.payments.services` at import time: services imports it.
"""

import logging
from decimal import Decimal
from functools import partial

from django.db import transaction

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.codes import new_token
from o2o.core.errors import not_found
from o2o.payments.gateways import CallbackEvent, SimulatedGateway, get_gateway
from o2o.payments.models import PaymentAlert
from o2o.wallet import services as wallet
from o2o.wallet.models import TopUp, TopUpMethod

logger = logging.getLogger("o2o.payments")

__all__ = ["settle_top_up_callback", "simulate_top_up_payment", "start_online_top_up"]


@transaction.atomic(durable=True)
def start_online_top_up(
    *, actor: Actor, amount: Decimal | str, gateway_name: str = SimulatedGateway.name
) -> tuple[TopUp, str]:
    """A pending top-up of the member's own wallet, paid at the gateway; returns it with the pay
    URL (a path on this site for the simulator). Its bonus is fixed now by the tiers."""
    member = actor.require_member()
    authorize(actor, Operation.TOP_UP_OWN_WALLET)
    gateway = get_gateway(gateway_name)
    top_up = wallet.new_top_up(
        member=member, amount=amount, method=TopUpMethod.ONLINE_QR, gateway=gateway.name, gateway_ref=new_token()[:32]
    )
    return top_up, gateway.pay_url(top_up.gateway_ref)


def settle_top_up_callback(gateway_name: str, event: CallbackEvent) -> str | None:
    """Apply a gateway event to the top-up with its reference; None when it is not a top-up's.

    Runs in the callback's transaction. Success with the expected amount credits the wallet once
    (principal and the bonus fixed at the start); a wrong amount credits nothing and raises a
    PaymentAlert for a person (the gateway's money is handed back by hand: a Refund belongs to an
    order payment); a failure marks a pending top-up failed."""
    found = (
        TopUp.objects.filter(gateway=gateway_name, gateway_ref=event.gateway_ref)
        .values_list("pk", "amount", "state")
        .first()
    )
    if found is None:
        return None
    top_up_id, amount, state = found
    if not event.succeeded:
        return "top_up_failed" if wallet.fail_top_up(top_up_id=top_up_id) else "top_up_ignored_late_failure"
    if event.amount != amount:
        return _amount_mismatch(gateway_name, event, top_up_id=top_up_id, expected=amount, state=state)
    if wallet.credit_top_up(top_up_id=top_up_id, gateway_txn_id=event.txn_id):
        return "top_up_credited"
    return "top_up_already_settled"


def _amount_mismatch(gateway_name: str, event: CallbackEvent, *, top_up_id: int, expected: Decimal, state: str) -> str:
    alert = PaymentAlert.objects.create(
        kind=PaymentAlert.Kind.AMOUNT_MISMATCH,
        gateway=gateway_name,
        event_id=event.event_id,
        expected_amount=expected,
        received_amount=event.amount,
        detail=f"top-up {top_up_id}: expected {expected}, the gateway took {event.amount}; nothing credited",
    )
    transaction.on_commit(partial(logger.error, "payment alert %s: %s", alert.kind, alert.detail))
    if state == TopUp.State.PENDING:
        wallet.fail_top_up(top_up_id=top_up_id, gateway_txn_id=event.txn_id)
    return "top_up_amount_mismatch"


def simulate_top_up_payment(*, gateway_ref: str, succeeded: bool = True) -> str:
    """Development: play the member paying (or failing to pay) a top-up at the simulated gateway,
    which sends its signed callback through the same path as a real one."""
    from o2o.payments.services import handle_gateway_callback

    top_up = TopUp.objects.filter(gateway=SimulatedGateway.name, gateway_ref=gateway_ref).first()
    if top_up is None:
        raise not_found("top-up")
    gateway = SimulatedGateway()
    body = gateway.callback_body(
        event_id=new_token()[:24],
        gateway_ref=gateway_ref,
        succeeded=succeeded,
        amount=top_up.amount,
        txn_id=f"SIMT{top_up.pk:010d}",
    )
    return handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=gateway.sign(body))
