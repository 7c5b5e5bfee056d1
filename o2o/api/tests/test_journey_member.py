"""Journey 3: a walk-in customer joins from the store QR; in-store and online orders are one history."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.payments.models import Payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.testing.api import ApiClient, as_staff, problem_code
from o2o.testing.factories import SKUFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db


def join(phone: str, store_code: str, **details):
    """Join from a store's QR: a code to the phone, then the code with the details."""
    asked = ApiClient().post("members/join/code", {"phone": phone, "store_code": store_code})
    assert asked.status_code == 202, asked.content
    code = last_code_sent_to("+8613912345678")
    return ApiClient().post("members/join", {"phone": phone, "code": code, "store_code": store_code, **details})


def sign_in(phone: str) -> ApiClient:
    assert ApiClient().post("auth/otp", {"phone": phone}).status_code == 202
    code = last_code_sent_to("+8613912345678")
    response = ApiClient().post("auth/member-token", {"phone": phone, "code": code})
    assert response.status_code == 200, response.content
    client = ApiClient()
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def test_walk_in_customer_joins_and_sees_store_and_online_orders_in_one_history(store, clerk):
    soap = SKUFactory(name="手工皂", price=Decimal("25.00"))
    receive_stock(location_id=store.pk, sku_id=soap.pk, quantity=10, actor=SYSTEM)

    # scans the store's QR code, which carries the clerk's code, and proves the phone with a code
    joined = join("139 1234 5678", store.code, name="李雷", ref=clerk.code, marketing_consent=True)
    assert joined.status_code == 200, joined.content
    assert set(joined.json()) == {"token", "token_type"}
    member = Member.objects.get()
    assert (member.phone, member.acquiring_location, member.acquiring_employee) == ("+8613912345678", store, clerk)
    assert (member.marketing_consent, member.marketing_consent_source) == (True, f"store_qr:{store.code}")

    # buys at the counter, as a member
    counter = as_staff(clerk)
    sale = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "in_store",
            "location_id": store.pk,
            "member_phone": "+8613912345678",
            "lines": [{"sku_id": soap.pk, "quantity": 1}],
        },
    )
    assert counter.post(f"payments/orders/{sale.json()['id']}/in-store", {"method": "store_qr"}).status_code == 201
    assert counter.get(f"orders/{sale.json()['id']}").json()["state"] == "picked_up"

    # later signs in on the phone with a one-time code and orders online
    customer = sign_in("13912345678")
    online = customer.post(
        "orders",
        {
            "channel": "h5",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "lines": [{"sku_id": soap.pk, "quantity": 2}],
        },
    ).json()
    started = customer.post(f"payments/orders/{online['id']}/online").json()["payment"]
    simulate_customer_payment(gateway_ref=Payment.objects.get(pk=started["id"]).gateway_ref)

    history = customer.get("members/me/orders").json()["results"]
    assert [(o["channel"], o["state"]) for o in history] == [("h5", "paid"), ("pos", "picked_up")]


def test_joining_again_keeps_the_first_stores_credit(store, other_store, clerk):
    first = join("13912345678", store.code, ref=clerk.code)

    again = join("+86 139-1234-5678", other_store.code)

    assert (first.status_code, again.status_code) == (200, 200)
    assert set(first.json()) == set(again.json()) == {"token", "token_type"}  # no "created" oracle
    assert Member.objects.get().acquiring_location == store


def test_a_wrong_code_does_not_sign_in():
    ApiClient().post("auth/otp", {"phone": "13912345678"})

    response = ApiClient().post("auth/member-token", {"phone": "13912345678", "code": "000000"})

    assert response.status_code == 400
    assert problem_code(response) == "invalid_code"


def test_malformed_phones_are_refused_and_nothing_is_written(store):
    for phone in ["12345", "+86 139", "not a phone", "1391234567890123"]:
        response = ApiClient().post("members/join/code", {"phone": phone, "store_code": store.code})
        assert response.status_code == 422, phone
        assert problem_code(response) == "invalid_phone"
    assert not Member.objects.exists()
