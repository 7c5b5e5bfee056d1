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
    """What an adapter for a real gateway (WeChat Pay, Alipay) implements: docs/money.md."""

    name: str
    # Whether the gateway sells its own installment product (Alipay Huabei: 3, 6 or 12 periods).
    supports_installments: bool

    def pay_url(self, gateway_ref: str, *, installment_periods: int | None = None) -> str:
        """Where the customer pays: an absolute URL at the gateway, or a path on this site. With
        `installment_periods`, the customer pays in that many periods through the gateway's
        installment product (the merchant is paid the whole amount at once)."""
        ...

    def parse_callback(self, body: bytes, signature: str) -> CallbackEvent: ...

    def refund(self, *, refund_id: str, txn_id: str, amount: Decimal) -> None:
        """Pay `amount` of the transaction back. Idempotent by `refund_id`: called again with the
        same id (a retry after a lost answer), the gateway pays nothing more."""
        ...


class GatewayUnavailable(Exception):
    """The gateway did not take the request (network, outage); the caller tries again later."""


MAX_AMOUNT = Decimal("9999999999.99")


def _amount(raw: object) -> Decimal:
    """A positive amount with at most two decimal places, or a 400."""
    amount = Decimal(str(raw)) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if amount is None or not amount.is_finite() or not 0 < amount <= MAX_AMOUNT:
        raise ValueError(f"not an amount: {raw!r}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"more than two decimal places: {raw!r}")
    return amount


def _text(raw: object, max_length: int) -> str:
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not 1 <= len(str(raw)) <= max_length:
        raise ValueError(f"not an identifier of up to {max_length} characters: {raw!r}")
    return str(raw)


class SimulatedGateway:
    """A QR-pay gateway that lives in this process; its callbacks are HMAC-SHA256 signed."""

    name = "simulated"
    supports_installments = True

    def __init__(self, secret: str | None = None) -> None:
        self.secret = (secret or settings.O2O_GATEWAY_SECRET).encode()
        # What the simulated gateway paid back, by refund id (a real gateway keeps this on its side).
        self.refunds: dict[str, tuple[str, Decimal]] = {}
        self.refund_calls = 0
        self.failures_to_come = 0  # tests: the next N refund calls fail as if the gateway were down

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def pay_url(self, gateway_ref: str, *, installment_periods: int | None = None) -> str:
        """A path on this site (the simulator is in-process): callers make it absolute (core.site).
        The simulated customer pays the same way in installments: the callback is the same."""
        url = f"/api/v1/payments/simulator/{gateway_ref}"
        return f"{url}?installment_periods={installment_periods}" if installment_periods else url

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
            if data["status"] not in ("succeeded", "failed"):
                raise ValueError("status is succeeded or failed")
            return CallbackEvent(
                event_id=_text(data["event_id"], 64),
                gateway_ref=_text(data["gateway_ref"], 40),
                succeeded=data["status"] == "succeeded",
                amount=_amount(data["amount"]),
                txn_id=_text(data["txn_id"], 64),
                payload=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise DomainError(ErrorCode.BAD_CALLBACK, "malformed callback") from exc

    def refund(self, *, refund_id: str, txn_id: str, amount: Decimal) -> None:
        """Pays back once per refund id; a real gateway's refund API takes the same id."""
        self.refund_calls += 1
        if self.failures_to_come > 0:
            self.failures_to_come -= 1
            raise GatewayUnavailable("the simulated gateway is down")
        self.refunds.setdefault(refund_id, (txn_id, amount))


_GATEWAYS: dict[str, PaymentGateway] = {}


def get_gateway(name: str) -> PaymentGateway:
    if not _GATEWAYS:
        _GATEWAYS[SimulatedGateway.name] = SimulatedGateway()
    gateway = _GATEWAYS.get(name)
    if gateway is None:
        raise DomainError(ErrorCode.NOT_FOUND, "unknown payment gateway")
    return gateway
