from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Header, Router, Schema, Status
from pydantic import Field, StrictInt

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey, Money
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.site import absolute_url
from o2o.orders.selectors import get_order_for, get_order_row_for
from o2o.payments import services as payments
from o2o.payments.gateways import SIGNATURE_HEADER
from o2o.payments.models import PaymentMethod
from o2o.payments.simulator import simulate_customer_payment
from o2o.payments.tenders import TenderRequest

router = Router(tags=["payments"])


class PaymentOut(Schema):
    id: int
    order_id: int
    method: PaymentMethod
    state: str
    amount: Decimal
    refunded_amount: Decimal
    points: int | None = None
    installment_periods: int | None = None
    installment_fee: Decimal = Decimal("0.00")


class OnlinePaymentOut(Schema):
    payment: PaymentOut
    pay_url: str


class InStoreIn(Schema):
    method: PaymentMethod


class CallbackOut(Schema):
    outcome: str


Periods = Literal[3, 6, 12]


class TenderIn(Schema):
    method: PaymentMethod
    amount: Money | None = Field(None, description="Leave out on the one tender that takes what is left to pay.")
    points: Annotated[StrictInt, Field(ge=1, le=1_000_000_000)] | None = None
    member_code: str | None = Field(None, min_length=1, max_length=40, description="The member's payment code.")


class PayIn(Schema):
    tenders: list[TenderIn] = Field(min_length=1, max_length=5)
    installment_periods: Periods | None = None


class PayOut(Schema):
    order_id: int
    order_state: str
    payments: list[PaymentOut]
    pay_url: str | None


@router.post("/orders/{order_id}/online", response={201: OnlinePaymentOut})
def start_online_payment(request: HttpRequest, order_id: Id, installment_periods: int | None = None):
    """Start QR pay at the gateway for what is left to pay; the gateway confirms by a signed callback.
    `installment_periods` (3, 6 or 12) asks for the gateway's installment product (big orders only)."""
    who = actor(request)
    order = get_order_row_for(actor=who, order_id=order_id)
    payment, pay_url = payments.start_online_payment(actor=who, order=order, installment_periods=installment_periods)
    return Status(201, {"payment": payment, "pay_url": absolute_url(pay_url, request)})


@router.post("/orders/{order_id}/tenders", response={201: PayOut})
def pay_order(request: HttpRequest, order_id: Id, payload: PayIn, idempotency_key: IdempotencyKey = None):
    """Pay with one or more tenders (split tender): the member's stored value (`wallet`) and
    `points` online; at the counter `cash`, `card`, `store_qr` and `wallet` with the member's
    `member_code`; `online_qr` opens the gateway payment for what is left (its `pay_url`). Stored
    value and points succeed at once; the order is paid when the tenders cover it. A retry with the
    same Idempotency-Key returns the first result and moves nothing again."""
    who = actor(request)
    order = get_order_for(actor=who, order_id=order_id)
    result = payments.pay_order(
        actor=who,
        order=order,
        tenders=[TenderRequest(t.method, t.amount, t.points, t.member_code) for t in payload.tenders],
        idempotency_key=idempotency_key,
        installment_periods=payload.installment_periods,
    )
    pay_url = result.pay_url()
    return Status(
        201,
        {
            "order_id": result.order.pk,
            "order_state": result.order.state,
            "payments": result.payments,
            "pay_url": absolute_url(pay_url, request) if pay_url else None,
        },
    )


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
