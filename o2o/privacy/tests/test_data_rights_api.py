"""A member's data rights through the API, as the member, another member and an attacker would use it."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.access.models import ApiToken
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.models import OutboxMessage
from o2o.installments.services import PlanRequest, set_up_plan
from o2o.inventory.services import receive_stock
from o2o.loyalty.models import PointsEarning
from o2o.members.models import Member, MemberLevel, OneTimeCode
from o2o.orders import audit as orders_audit
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments import audit as payments_audit
from o2o.payments.services import cancel_order, pay_order
from o2o.payments.tenders import TenderRequest
from o2o.pickup.models import PickupVoucher
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord
from o2o.privacy.services import delete_my_account
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale, place_pickup_order
from o2o.testing.outbox import last_code_sent_to
from o2o.wallet.models import TopUpTier
from o2o.wallet.services import issue_payment_code, redeem_payment_code, top_up_at_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=50)
    return sku


def _refunded_order(member, store, sku, quantity=2) -> Order:
    """Paid online, then cancelled by the member: refunded in full (a finished order)."""
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=quantity)
    return cancel_order(actor=actor_for_member(member), order=order)


def _cancelled_delivery(member, store, sku) -> Order:
    request = OrderRequest(
        channel="app",
        fulfilment="delivery",
        fulfilment_location_id=store.pk,
        lines=[LineRequest(sku.pk, 1)],
        delivery_address="上海市徐汇区漕溪北路88号 3楼",
    )
    order = place_order(actor=actor_for_member(member), member=member, request=request)
    return cancel_order(actor=actor_for_member(member), order=order)


def _export(client: ApiClient, **params):
    return client.get("privacy/export", **params)


# --- export ----------------------------------------------------------------------------------


def test_the_export_holds_exactly_the_members_own_data(store, sku):
    # given: two members, each with orders
    gold = MemberLevel.objects.create(code="gold", name="金卡", rank=1, min_growth=0, discount_percent=Decimal(10))
    me = MemberFactory(name="李雷", phone="+8613812345678", level=gold)
    other = MemberFactory(name="韩梅梅", phone="+8613987654321")
    mine = _refunded_order(me, store, sku, quantity=2)
    open_mine = place_pickup_order(member=me, store=store, sku=sku)
    theirs = [_refunded_order(other, store, sku), paid_pickup_order(member=other, store=store, sku=sku)]
    their_code = PickupVoucher.objects.get(order=theirs[1]).code

    # when: I download my data, naming the other member's id as if I could choose
    response = _export(as_member(me), member_id=other.pk)

    # then: a JSON download of my data, and nothing of the other member's
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="o2o-my-data-')
    body = response.content.decode()
    data = json.loads(body)
    assert data["profile"]["id"] == me.pk
    assert data["profile"]["phone"] == "+8613812345678"
    assert data["profile"]["name"] == "李雷"
    assert [o["number"] for o in data["orders"]] == [mine.number, open_mine.number]
    first = data["orders"][0]
    assert first["state"] == "refunded"
    assert (first["subtotal"], first["discount_total"], first["delivery_fee"]) == ("25.00", "2.50", "0.00")
    assert (first["total"], first["refunded_total"]) == ("22.50", "22.50")
    assert first["lines"] == [
        {
            "sku": sku.code,
            "name": sku.name,
            "quantity": 2,
            "unit_price": "12.50",
            "line_total": "25.00",
            "discounts": [{"source": "level", "label": first["lines"][0]["discounts"][0]["label"], "amount": "2.50"}],
            "discount_total": "2.50",
            "net_amount": "22.50",
            "returned_quantity": 2,  # cancelled after payment: every unit came back
        }
    ]
    [payment] = first["payments"]
    assert (payment["method"], payment["state"], payment["amount"]) == ("online_qr", "succeeded", "22.50")
    # the refund goes to the gateway after commit (tests roll back): requested
    assert [(r["amount"], r["state"]) for r in payment["refunds"]] == [("22.50", "requested")]
    assert [v["order"] for v in data["pickup_vouchers"]] == [mine.number]
    assert all("code" not in v for v in data["pickup_vouchers"])
    for foreign in (other.phone, other.name, theirs[0].number, theirs[1].number, their_code):
        assert foreign not in body
    assert PickupVoucher.objects.get(order=mine).code not in body  # not even my own (spent) code
    assert list(DataRightsEvent.objects.values_list("member_id", "kind", "via")) == [(me.pk, "export", "api")]


def test_the_export_reads_a_fixed_number_of_queries_however_many_orders(store, sku):
    one, many = MemberFactory(), MemberFactory()
    _refunded_order(one, store, sku)
    for _ in range(4):
        _refunded_order(many, store, sku)

    counts = []
    for member in (one, many):
        client = as_member(member)
        with CaptureQueriesContext(connection) as queries:
            assert _export(client).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_export_is_for_signed_in_members_only(clerk):
    assert problem_code(_export(ApiClient())) == "unauthenticated"
    assert _export(ApiClient()).status_code == 401
    assert _export(as_staff(clerk)).status_code == 403
    assert DataRightsEvent.objects.count() == 0


def test_downloads_are_rate_limited_per_member(settings, member):
    settings.O2O_DATA_EXPORTS_PER_MEMBER = "2/hour"
    client = as_member(member)

    answers = [_export(client) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert problem_code(answers[2]) == "rate_limited"
    assert int(answers[2]["Retry-After"]) > 0
    assert DataRightsEvent.objects.filter(member=member).count() == 2
    assert _export(as_member(MemberFactory())).status_code == 200  # another member has their own budget


# --- deleting the account --------------------------------------------------------------------


def _deletion_code(client: ApiClient, member: Member) -> str:
    assert client.post("privacy/deletion/code").status_code == 202
    return last_code_sent_to(member.phone)


def test_deleting_needs_the_code_sent_to_the_phone(member):
    client = as_member(member)
    phone, name = member.phone, member.name
    code = _deletion_code(client, member)
    wrong = "000000" if code != "000000" else "111111"

    response = client.post("privacy/deletion", {"code": wrong})

    assert "注销 O2O 账户" in OutboxMessage.objects.get(recipient=phone).body
    assert response.status_code == 400
    assert problem_code(response) == "invalid_code"
    member.refresh_from_db()
    assert (member.phone, member.name, member.anonymised_at) == (phone, name, None)
    assert client.get("members/me").status_code == 200
    assert not DataRightsEvent.objects.exists()


def test_thirty_wrong_codes_then_the_right_one_is_still_refused(member):
    client = as_member(member)
    code = _deletion_code(client, member)
    wrong = "000000" if code != "000000" else "111111"

    statuses = {client.post("privacy/deletion", {"code": wrong}).status_code for _ in range(30)}
    last = client.post("privacy/deletion", {"code": code})

    assert statuses <= {400, 429}
    assert last.status_code in (400, 429)
    member.refresh_from_db()
    assert member.anonymised_at is None


def test_an_open_order_stops_the_deletion_and_nothing_changes(member, store, sku):
    client = as_member(member)
    order = place_pickup_order(member=member, store=store, sku=sku)
    phone = member.phone

    asked = client.post("privacy/deletion/code")
    state = client.get("privacy/deletion").json()
    # a code the phone got for signing in does not get past the check either, and is not spent
    ApiClient().post("auth/otp", {"phone": phone})
    code = last_code_sent_to(phone)
    deleting = client.post("privacy/deletion", {"code": code})

    assert asked.status_code == 409
    assert problem_code(asked) == "account_has_open_business"
    assert asked.json()["reasons"] == [
        {"kind": "open_orders", "message": asked.json()["reasons"][0]["message"], "orders": [order.number]}
    ]
    assert order.number in asked.json()["detail"]
    assert state["can_delete"] is False and [r["kind"] for r in state["reasons"]] == ["open_orders"]
    assert deleting.status_code == 409
    assert problem_code(deleting) == "account_has_open_business"
    member.refresh_from_db()
    assert (member.phone, member.anonymised_at) == (phone, None)
    assert OneTimeCode.objects.filter(phone=phone, used_at__isnull=True).count() == 1  # the code was not spent
    assert ApiClient().post("auth/member-token", {"phone": phone, "code": code}).status_code == 200
    assert not DataRightsEvent.objects.exists()


def test_deleting_anonymises_the_member_and_keeps_the_books(store, sku):
    # given: a member who joined with consent, bought, had a delivery cancelled, and has two sessions
    phone = "+8613711112222"
    ApiClient().post("members/join/code", {"phone": phone, "store_code": store.code})
    joined = ApiClient().post(
        "members/join",
        {"phone": phone, "code": last_code_sent_to(phone), "store_code": store.code, "name": "王芳",
         "marketing_consent": True},
    )  # fmt: skip
    token = joined.json()["token"]
    member = Member.objects.get(phone=phone)
    refunded = _refunded_order(member, store, sku)
    delivery = _cancelled_delivery(member, store, sku)
    client, second_device = ApiClient(), as_member(member)
    client.headers["Authorization"] = f"Bearer {token}"

    # when: the member deletes the account with the code sent to the phone
    code = _deletion_code(client, member)
    response = client.post("privacy/deletion", {"code": code})

    # then: personal fields are gone, sign-ins end, the books stay
    assert response.status_code == 200
    assert response.json()["already"] is False
    member.refresh_from_db()
    assert member.phone == f"+999{member.pk:012d}"
    assert member.name == ""
    assert member.anonymised_at is not None
    assert member.marketing_consent is False
    assert [(r.given, r.source) for r in MarketingConsentRecord.objects.filter(member=member)] == [
        (True, f"store_qr:{store.code}"),
        (False, "account_deleted"),
    ]
    assert client.get("members/me").status_code == 401
    assert second_device.get("members/me").status_code == 401
    assert not ApiToken.objects.filter(member=member).exists()
    assert set(Order.objects.filter(member=member).values_list("number", flat=True)) == {
        refunded.number,
        delivery.number,
    }
    delivery.refresh_from_db()
    assert delivery.delivery_address == "[deleted]"
    assert not OutboxMessage.objects.filter(recipient=phone).exists()
    assert not OneTimeCode.objects.filter(phone=phone).exists()
    assert orders_audit.run() == []
    assert payments_audit.run() == []
    assert list(DataRightsEvent.objects.values_list("member_id", "kind")) == [(member.pk, "deletion")]

    # and: the phone can join again, as a new member
    ApiClient().post("auth/otp", {"phone": phone})
    again = ApiClient().post("auth/member-token", {"phone": phone, "code": last_code_sent_to(phone)})
    assert again.status_code == 200
    newcomer = Member.objects.get(phone=phone)
    assert newcomer.pk != member.pk
    assert newcomer.name == ""
    assert not Order.objects.filter(member=newcomer).exists()


def test_deleting_twice_changes_nothing_the_second_time(member):
    client = as_member(member)
    client.post("privacy/deletion", {"code": _deletion_code(client, member)})
    member.refresh_from_db()
    first_at = member.anonymised_at

    again = delete_my_account(actor=actor_for_member(member), code="123456", via="api")

    assert (again.already, again.anonymised_at) == (True, first_at)
    assert client.post("privacy/deletion", {"code": "123456"}).status_code == 401  # its tokens are gone
    assert DataRightsEvent.objects.filter(kind="deletion").count() == 1


def test_a_deleted_accounts_placeholder_phone_cannot_ask_for_a_code(member):
    client = as_member(member)
    client.post("privacy/deletion", {"code": _deletion_code(client, member)})
    member.refresh_from_db()

    response = ApiClient().post("auth/otp", {"phone": member.phone})

    assert response.status_code == 422
    assert problem_code(response) == "invalid_phone"


def test_staff_cannot_delete_or_export_for_a_member(clerk):
    hq = EmployeeFactory(role="hq", home_location=None)
    for employee in (clerk, hq):
        client = as_staff(employee)
        assert client.post("privacy/deletion/code").status_code == 403
        assert client.post("privacy/deletion", {"code": "123456"}).status_code == 403
        assert client.post("privacy/consent", {"given": True}).status_code == 403


# --- consent ---------------------------------------------------------------------------------


def test_consent_is_withdrawn_and_given_again_with_its_history(store):
    phone = "+8613755556666"
    ApiClient().post("members/join/code", {"phone": phone, "store_code": store.code})
    token = (
        ApiClient()
        .post(
            "members/join",
            {"phone": phone, "code": last_code_sent_to(phone), "store_code": store.code, "marketing_consent": True},
        )
        .json()["token"]
    )
    client = ApiClient()
    client.headers["Authorization"] = f"Bearer {token}"

    withdrawn = client.post("privacy/consent", {"given": False})
    repeated = client.post("privacy/consent", {"given": False})
    given = client.post("privacy/consent", {"given": True})
    now = client.get("privacy/consent").json()

    assert [withdrawn.status_code, repeated.status_code, given.status_code] == [200, 200, 200]
    assert (withdrawn.json()["marketing_consent"], withdrawn.json()["changed"]) == (False, True)
    assert (repeated.json()["marketing_consent"], repeated.json()["changed"]) == (False, False)
    assert (given.json()["marketing_consent"], given.json()["changed"]) == (True, True)
    assert [(h["given"], h["source"]) for h in now["history"]] == [
        (True, f"store_qr:{store.code}"),
        (False, "api"),
        (True, "api"),
    ]
    assert (now["marketing_consent"], now["source"]) == (True, "api")
    member = Member.objects.get(phone=phone)
    assert member.marketing_consent is True
    assert member.marketing_consent_at == MarketingConsentRecord.objects.filter(member=member).last().at
    export = json.loads(_export(client).content)
    assert [(h["given"], h["source"]) for h in export["marketing_consent_history"]] == [
        (True, f"store_qr:{store.code}"),
        (False, "api"),
        (True, "api"),
    ]


def test_a_member_signed_up_at_the_counter_with_consent_has_its_record(clerk):
    response = as_staff(clerk).post("members", {"phone": "+8613700001111", "marketing_consent": True})

    assert response.status_code == 201
    member = Member.objects.get(phone="+8613700001111")
    assert list(MarketingConsentRecord.objects.filter(member=member).values_list("given", "source")) == [
        (True, f"pos:{clerk.home_location.code}")
    ]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("privacy/consent", {"given": "yes"}, 422),
        ("privacy/consent", {"given": 1}, 422),
        ("privacy/consent", {}, 422),
        ("privacy/consent", [True], 422),
        ("privacy/deletion", {"code": ""}, 422),
        ("privacy/deletion", {"code": "1" * 17}, 422),
        ("privacy/deletion", {"code": 123456}, 422),
        ("privacy/deletion", "not json", 400),
    ],
)
def test_bad_input_is_a_problem_and_changes_nothing(member, path, body, status):
    response = as_member(member).post(path, body)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    member.refresh_from_db()
    assert (member.anonymised_at, member.marketing_consent) == (None, False)
    assert not MarketingConsentRecord.objects.exists()


def test_a_form_post_is_refused(member):
    client = as_member(member)
    response = client.client.post("/api/v1/privacy/consent", {"given": "true"}, headers=client.headers)

    assert response.status_code == 415
    assert not MarketingConsentRecord.objects.exists()


# --- the money and loyalty apps' parts -------------------------------------------------------


def test_wallet_principal_stops_the_deletion_and_says_the_bonus_is_forfeited(member, store):
    TopUpTier.objects.create(pay_amount=Decimal("500.00"), bonus_amount=Decimal("50.00"))
    clerk = actor_for_user(EmployeeFactory(home_location=store).user)
    top_up_at_counter(actor=clerk, location_id=store.pk, amount="500.00", method="cash", member_id=member.pk)
    client = as_member(member)

    asked = client.post("privacy/deletion/code")
    export = json.loads(_export(client).content)

    assert asked.status_code == 409
    [reason] = asked.json()["reasons"]
    assert (reason["kind"], reason["principal"], reason["bonus"]) == ("wallet_principal", "500.00", "50.00")
    assert "¥500.00" in reason["message"] and "¥50.00" in reason["message"] and "作废" in reason["message"]
    assert not OutboxMessage.objects.filter(recipient=member.phone).exists()
    member.refresh_from_db()
    assert member.anonymised_at is None
    wallet = export["wallet"]
    assert (wallet["principal"], wallet["bonus"], wallet["frozen"]) == ("500.00", "50.00", False)
    assert [(e["kind"], e["principal"], e["bonus"], e["store"]) for e in wallet["entries"]] == [
        ("top_up", "500.00", "0.00", store.name),
        ("top_up_bonus", "0.00", "50.00", store.name),
    ]
    assert [(t["amount"], t["bonus"], t["method"], t["state"]) for t in wallet["top_ups"]] == [
        ("500.00", "50.00", "cash", "succeeded")
    ]


def test_an_installment_plan_stops_the_deletion_and_is_in_the_export(member, store):
    tyre = SKUFactory(price=Decimal("1000.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=tyre.pk, quantity=5)
    order = place_pickup_order(member=member, store=store, sku=tyre)
    plan = set_up_plan(actor=actor_for_member(member), order=order, request=PlanRequest(periods=3))
    client = as_member(member)

    asked = client.post("privacy/deletion/code")
    export = json.loads(_export(client).content)

    assert asked.status_code == 409
    assert [(r["kind"], r["orders"]) for r in asked.json()["reasons"]] == [
        ("open_orders", [order.number]),
        ("installment_plans", [order.number]),
    ]
    [exported] = export["installment_plans"]
    assert (exported["order"], exported["periods"], exported["state"]) == (order.number, 3, "active")
    dues = [Decimal(d["amount"]) for d in exported["dues"]]
    assert [d["number"] for d in exported["dues"]] == [1, 2, 3]
    assert sum(dues) == plan.financed_amount + plan.fee
    assert exported["financed_amount"] == str(plan.financed_amount)
    [tender] = export["orders"][0]["payments"]  # the plan is the order's store credit tender
    assert (tender["method"], tender["state"], tender["amount"]) == ("store_credit", "succeeded", "1000.00")
    assert (tender["points"], tender["installments"]) == (None, None)


def test_points_and_levels_are_in_the_export(member, store, sku):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)

    export = json.loads(_export(as_member(member)).content)

    earnings = PointsEarning.objects.filter(member=member)
    assert [(e["order"], e["points"], e["state"]) for e in export["points"]["earnings"]] == [
        (order.number, e.points, "pending") for e in earnings
    ]
    assert export["points"]["pending"] == sum(e.points for e in earnings)
    assert export["points"]["available"] == 0
    assert export["level_history"] == {"growth": [], "changes": []}


def test_a_wallet_spend_names_the_order_it_paid_even_when_the_order_is_not_the_members(member, store, sku):
    # given: a counter sale with no member on it, paid with the member's payment code
    TopUpTier.objects.create(pay_amount=Decimal("100.00"), bonus_amount=Decimal("10.00"))
    clerk = EmployeeFactory(home_location=store)
    top_up_at_counter(
        actor=actor_for_user(clerk.user), location_id=store.pk, amount="100.00", method="cash", member_id=member.pk
    )
    code, _row = issue_payment_code(actor=actor_for_member(member))
    sale = place_counter_sale(clerk=clerk, sku=sku, quantity=2)
    pay_order(actor=actor_for_user(clerk.user), order=sale, tenders=[TenderRequest("wallet", member_code=code)],
              idempotency_key=None)  # fmt: skip

    # when
    export = json.loads(_export(as_member(member)).content)

    # then: the spend is in the wallet's ledger with the sale's number; the sale is not their order
    spends = [e for e in export["wallet"]["entries"] if e["kind"] == "spend"]
    assert [(e["order"], Decimal(e["principal"]) + Decimal(e["bonus"])) for e in spends] == [
        (sale.number, Decimal("-25.00"))
    ]
    assert Decimal(export["wallet"]["principal"]) + Decimal(export["wallet"]["bonus"]) == Decimal("85.00")
    assert sale.number not in [o["number"] for o in export["orders"]]


def test_a_payment_code_shown_before_the_deletion_pays_nothing_after_it(member):
    code, _row = issue_payment_code(actor=actor_for_member(member))
    client = as_member(member)

    assert client.post("privacy/deletion", {"code": _deletion_code(client, member)}).status_code == 200

    with pytest.raises(DomainError) as refused:
        redeem_payment_code(code=code)
    assert refused.value.code == ErrorCode.PAYMENT_CODE_INVALID
