"""Steps the rewards tests share, all through the public API."""

from datetime import timedelta

from django.utils import timezone

from o2o.orders.services import complete_orders
from o2o.payments.models import Payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.testing.api import ApiClient, as_member, as_staff
from o2o.testing.outbox import last_code_sent_to


def window(days: int = 7) -> dict:
    now = timezone.now()
    return {"starts_at": (now - timedelta(minutes=5)).isoformat(), "ends_at": (now + timedelta(days=days)).isoformat()}


def sign_up(referral_code: str, phone: str, *, device_id: str = ""):
    """A new customer asks for a code and signs up through the share link; returns the response."""
    client = ApiClient()
    assert client.post("auth/otp", {"phone": phone}).status_code == 202
    body = {"phone": phone, "code": last_code_sent_to(phone), "referral_code": referral_code, "device_id": device_id}
    return client.post("rewards/referrals/sign-up", body)


def token_client(token: str) -> ApiClient:
    client = ApiClient()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def complete_an_order(client: ApiClient, *, store, sku, clerk, delivery_address: str = "") -> int:
    """Place (pickup, or delivery to an address), pay online, hand over, let the return window close."""
    body = {"channel": "app", "fulfilment": "delivery" if delivery_address else "pickup", "location_id": store.pk,
            "lines": [{"sku_id": sku.pk, "quantity": 1}], "delivery_address": delivery_address}  # fmt: skip
    placed = client.post("orders", body)
    assert placed.status_code == 201, placed.content
    order_id = placed.json()["id"]
    assert client.post(f"payments/orders/{order_id}/online").status_code in (200, 201)
    payment = Payment.objects.get(order_id=order_id, method="online_qr")
    simulate_customer_payment(gateway_ref=payment.gateway_ref)
    staff = as_staff(clerk)
    if delivery_address:
        assert staff.post(f"orders/{order_id}/dispatch").status_code == 200
        assert staff.post(f"orders/{order_id}/delivered").status_code == 200
    else:
        code = client.get(f"pickup/orders/{order_id}/voucher").json()["code"]
        assert staff.post("pickup/redeem", {"code": code}).status_code == 200
    complete_orders(now=timezone.now() + timedelta(days=30))
    return order_id


def bonus_and_points(member) -> tuple[str, int]:
    client = as_member(member)
    return client.get("/api/v1/wallet/").json()["bonus"], client.get("loyalty/me").json()["available"]
