from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest
from ninja import Header, Router, Schema, Status

from o2o.api.auth import actor
from o2o.api.types import Id
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.site import absolute_url
from o2o.orders.selectors import get_order_for
from o2o.payments import services as payments
from o2o.payments.gateways import SIGNATURE_HEADER
from o2o.payments.models import PaymentMethod
from o2o.payments.simulator import simulate_customer_payment

router = Router(tags=["payments"])


class PaymentOut(Schema):
    id: int
    order_id: int
    method: PaymentMethod
    state: str
    amount: Decimal
    refunded_amount: Decimal


class OnlinePaymentOut(Schema):
    payment: PaymentOut
    pay_url: str


class InStoreIn(Schema):
    method: PaymentMethod


class CallbackOut(Schema):
    outcome: str


@router.post("/orders/{order_id}/online", response={201: OnlinePaymentOut})
def start_online_payment(request: HttpRequest, order_id: Id):
    """Start QR pay at the gateway for the order's total; the gateway confirms by a signed callback."""
    who = actor(request)
    order = get_order_for(actor=who, order_id=order_id)
    payment, pay_url = payments.start_online_payment(actor=who, order=order)
    return Status(201, {"payment": payment, "pay_url": absolute_url(pay_url, request)})


@router.post("/orders/{order_id}/in-store", response={201: PaymentOut})
def take_in_store_payment(
    request: HttpRequest,
    order_id: Id,
    payload: InStoreIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=80),
):
    """Cash, card or QR at the counter. A retry with the same Idempotency-Key returns the first payment."""
    who = actor(request)
    order = get_order_for(actor=who, order_id=order_id)
    payment = payments.take_in_store_payment(
        actor=who, order=order, method=payload.method, idempotency_key=idempotency_key
    )
    return Status(201, payment)


@router.post("/callbacks/{gateway}", response=CallbackOut, auth=None)
def gateway_callback(request: HttpRequest, gateway: str):
    """Called by the gateway; the body is checked against its HMAC signature and applied once."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    return {"outcome": payments.handle_gateway_callback(gateway_name=gateway, body=request.body, signature=signature)}


@router.post("/simulator/{gateway_ref}", response=CallbackOut, auth=None)
def simulator_pay(request: HttpRequest, gateway_ref: str, outcome: str = "succeeded"):
    """Demo only: play the customer paying (or failing to) at the simulated gateway."""
    if not settings.O2O_PAYMENT_SIMULATOR:
        raise DomainError(ErrorCode.NOT_FOUND, "the payment simulator is switched off")
    if outcome not in {"succeeded", "failed"}:
        raise DomainError(ErrorCode.INVALID, "outcome is succeeded or failed")
    return {"outcome": simulate_customer_payment(gateway_ref=gateway_ref, succeeded=outcome == "succeeded")}
