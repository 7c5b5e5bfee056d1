"""The customer's side of the simulated gateway: paying sends a signed callback, like a real one.

One pay link serves both things the gateway is paid for: an order's payment, or (when no payment
has the reference) an online wallet top-up (`o2o.payments.topups`)."""

from o2o.core.codes import new_token
from o2o.core.errors import not_found
from o2o.payments.gateways import SIGNATURE_HEADER, SimulatedGateway
from o2o.payments.models import Payment
from o2o.payments.services import handle_gateway_callback
from o2o.payments.topups import simulate_top_up_payment
from o2o.wallet.models import TopUp

__all__ = ["SIGNATURE_HEADER", "signed_callback", "simulate_customer_payment"]


def signed_callback(payment: Payment, *, succeeded: bool = True, event_id: str | None = None) -> tuple[bytes, str]:
    gateway = SimulatedGateway()
    body = gateway.callback_body(
        event_id=event_id or new_token()[:24],
        gateway_ref=payment.gateway_ref,
        succeeded=succeeded,
        amount=payment.amount,
        txn_id=f"SIM{payment.pk:010d}",
    )
    return body, gateway.sign(body)


def simulate_customer_payment(*, gateway_ref: str, succeeded: bool = True) -> str:
    payment = Payment.objects.filter(gateway=SimulatedGateway.name, gateway_ref=gateway_ref).first()
    if payment is None:
        if TopUp.objects.filter(gateway=SimulatedGateway.name, gateway_ref=gateway_ref).exists():
            return simulate_top_up_payment(gateway_ref=gateway_ref, succeeded=succeeded)
        raise not_found("payment")
    body, signature = signed_callback(payment, succeeded=succeeded)
    return handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)
