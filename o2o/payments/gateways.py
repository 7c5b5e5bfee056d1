"""Payment gateways behind one interface; the simulated one signs its callbacks like a real one."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings

from o2o.core.errors import DomainError, ErrorCode

SIGNATURE_HEADER = "X-O2O-Signature"


@dataclass(frozen=True)
class CallbackEvent:
    event_id: str
    gateway_ref: str
    succeeded: bool
    amount: Decimal
    txn_id: str
    payload: dict


class PaymentGateway(Protocol):
    name: str

    def pay_url(self, gateway_ref: str) -> str: ...

    def parse_callback(self, body: bytes, signature: str) -> CallbackEvent: ...

    def refund(self, *, txn_id: str, amount: Decimal) -> None: ...


class SimulatedGateway:
    """A QR-pay gateway that lives in this process; its callbacks are HMAC-SHA256 signed."""

    name = "simulated"

    def __init__(self, secret: str | None = None) -> None:
        self.secret = (secret or settings.O2O_GATEWAY_SECRET).encode()

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def pay_url(self, gateway_ref: str) -> str:
        return f"{settings.O2O_SITE_URL}/api/v1/payments/simulator/{gateway_ref}"

    def callback_body(self, *, event_id: str, gateway_ref: str, succeeded: bool, amount: Decimal, txn_id: str) -> bytes:
        return json.dumps(
            {
                "event_id": event_id,
                "gateway_ref": gateway_ref,
                "status": "succeeded" if succeeded else "failed",
                "amount": str(amount),
                "txn_id": txn_id,
            },
            sort_keys=True,
        ).encode()

    def parse_callback(self, body: bytes, signature: str) -> CallbackEvent:
        if not hmac.compare_digest(self.sign(body), signature or ""):
            raise DomainError(ErrorCode.BAD_SIGNATURE, "callback signature does not match")
        try:
            data = json.loads(body)
            return CallbackEvent(
                event_id=str(data["event_id"]),
                gateway_ref=str(data["gateway_ref"]),
                succeeded=data["status"] == "succeeded",
                amount=Decimal(str(data["amount"])),
                txn_id=str(data["txn_id"]),
                payload=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise DomainError(ErrorCode.INVALID, "malformed callback") from exc

    def refund(self, *, txn_id: str, amount: Decimal) -> None:
        """The simulated gateway has no money to move; a real one calls its refund API here."""


_GATEWAYS: dict[str, PaymentGateway] = {}


def get_gateway(name: str) -> PaymentGateway:
    if not _GATEWAYS:
        _GATEWAYS[SimulatedGateway.name] = SimulatedGateway()
    gateway = _GATEWAYS.get(name)
    if gateway is None:
        raise DomainError(ErrorCode.NOT_FOUND, "unknown payment gateway")
    return gateway
