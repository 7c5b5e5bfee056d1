"""Third-party couriers (同城配送: a rider takes one order): the interface and a simulated one.

A backend quotes, books and cancels a delivery and reports its progress by signed callbacks to
POST /api/v1/delivery/couriers/{name}/callbacks (like the payment gateways, o2o/payments/gateways.py).
A real one (SF same-city, Dada, Meituan) implements `CourierBackend` and is added to `BACKENDS`.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.delivery.models import CourierState
from o2o.delivery.routing import road_metres

# The statuses a courier reports, and what each makes of the booking.
CALLBACK_STATES = (CourierState.OUT_FOR_DELIVERY, CourierState.DELIVERED, CourierState.FAILED)


@dataclass(frozen=True)
class Quote:
    fee: Decimal
    eta: datetime


@dataclass(frozen=True)
class Booked:
    external_id: str
    fee: Decimal
    eta: datetime


@dataclass(frozen=True)
class StatusUpdate:
    external_id: str
    event_id: str
    status: str  # one of CALLBACK_STATES
    reason: str = ""  # for a failure


class CourierBackend(Protocol):
    name: str

    def quote(self, *, origin: tuple[float, float], destination: tuple[float, float]) -> Quote: ...

    def book(self, *, reference: str, origin: tuple[float, float], destination: tuple[float, float]) -> Booked: ...

    def cancel(self, *, external_id: str) -> None: ...

    def parse_callback(self, body: bytes, signature: str) -> StatusUpdate: ...


class SimulatedCourier:
    """Prices 6 yuan plus 1.50 a kilometre, a rider at 15 km/h after 15 minutes to pick up;
    signs callbacks with O2O_COURIER_SECRET (HMAC-SHA256 of the body, hex)."""

    name = "simulated"

    @property
    def secret(self) -> bytes:
        return settings.O2O_COURIER_SECRET.encode()

    def quote(self, *, origin, destination) -> Quote:
        km = Decimal(road_metres(origin, destination)) / 1000
        minutes = 15 + float(km) * 4
        return Quote(
            fee=to_money(Decimal("6.00") + km * Decimal("1.50")), eta=timezone.now() + timedelta(minutes=minutes)
        )

    def book(self, *, reference: str, origin, destination) -> Booked:
        quote = self.quote(origin=origin, destination=destination)
        return Booked(external_id=f"SIM{secrets.token_hex(8).upper()}", fee=quote.fee, eta=quote.eta)

    def cancel(self, *, external_id: str) -> None:
        return None

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def callback(
        self, *, external_id: str, status: str, event_id: str | None = None, reason: str = ""
    ) -> tuple[bytes, str]:
        """A signed status callback as the courier would send it (tests and the demo)."""
        body = json.dumps({"order_id": external_id, "event_id": event_id or secrets.token_hex(8),
                           "status": status, "reason": reason}).encode()  # fmt: skip
        return body, self.sign(body)

    def parse_callback(self, body: bytes, signature: str) -> StatusUpdate:
        if not hmac.compare_digest(self.sign(body), signature or ""):
            raise DomainError(ErrorCode.BAD_SIGNATURE, "callback signature does not match")
        try:
            data = json.loads(body)
            update = StatusUpdate(external_id=str(data["order_id"]), event_id=str(data["event_id"]),
                                  status=str(data["status"]), reason=str(data.get("reason", ""))[:200])  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise DomainError(ErrorCode.BAD_CALLBACK, "malformed callback") from exc
        if update.status not in CALLBACK_STATES or not update.event_id or len(update.event_id) > 64:
            raise DomainError(ErrorCode.BAD_CALLBACK, "unknown status", status=update.status)
        return update


BACKENDS: dict[str, CourierBackend] = {SimulatedCourier.name: SimulatedCourier()}


def courier(name: str) -> CourierBackend:
    backend = BACKENDS.get(name)
    if backend is None:
        raise DomainError(ErrorCode.NOT_FOUND, "courier not found", courier=name)
    return backend
