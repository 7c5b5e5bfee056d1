"""The wallet through the API, as members, clerks, HQ and strangers call it."""

from decimal import Decimal

import pytest

from o2o.payments.gateways import SIGNATURE_HEADER, SimulatedGateway
from o2o.payments.models import GatewayCallback, PaymentAlert
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.wallet.models import EntryKind, PaymentCode, TopUp, TopUpTier, Wallet, WalletEntry

pytestmark = pytest.mark.django_db

D = Decimal


def callback(top_up_id: int, *, event_id: str, amount: str | None = None, succeeded: bool = True):
    """The simulated gateway's signed callback for a top-up, posted to the public endpoint."""
    top_up = TopUp.objects.get(pk=top_up_id)
    gateway = SimulatedGateway()
    body = gateway.callback_body(
        event_id=event_id,
        gateway_ref=top_up.gateway_ref,
        succeeded=succeeded,
        amount=D(amount) if amount else top_up.amount,
        txn_id=f"TXN{top_up.pk}",
    )
    return ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: gateway.sign(body)})


def start_top_up(member, amount) -> int:
    response = as_member(member).post("wallet/top-ups", {"amount": amount})
    assert response.status_code == 201, response.content
    return response.json()["top_up"]["id"]


@pytest.fixture
def tier_500():
    return TopUpTier.objects.create(pay_amount=D("500.00"), bonus_amount=D("50.00"))


def test_online_top_up_of_500_with_a_tier_gives_550(member, tier_500):
    response = as_member(member).post("wallet/top-ups", {"amount": "500.00"})
    top_up_id = response.json()["top_up"]["id"]

    paid = callback(top_up_id, event_id="evt-1")

    assert response.status_code == 201
    assert response.json()["top_up"]["bonus"] == "50.00"
    assert response.json()["pay_url"].endswith(f"/api/v1/payments/simulator/{TopUp.objects.get().gateway_ref}")
    assert paid.json() == {"outcome": "top_up_credited"}
    assert as_member(member).get("wallet/").json() == {
        "principal": "500.00",
        "bonus": "50.00",
        "total": "550.00",
        "frozen": False,
    }
    entries = as_member(member).get("wallet/entries").json()["results"]
    assert sorted((e["kind"], e["amount"]) for e in entries) == [("top_up", "500.00"), ("top_up_bonus", "50.00")]


def test_a_replayed_callback_and_a_second_event_for_the_same_top_up_credit_once(member, tier_500):
    top_up_id = start_top_up(member, "500.00")

    outcomes = [
        callback(top_up_id, event_id="evt-1").json()["outcome"],
        callback(top_up_id, event_id="evt-1").json()["outcome"],
        callback(top_up_id, event_id="evt-2").json()["outcome"],
    ]

    assert outcomes == ["top_up_credited", "duplicate", "top_up_already_settled"]
    wallet = Wallet.objects.get(member=member)
    assert (wallet.principal, wallet.bonus) == (D("500.00"), D("50.00"))
    assert WalletEntry.objects.filter(kind=EntryKind.TOP_UP).count() == 1
    assert GatewayCallback.objects.count() == 2


def test_a_callback_with_another_amount_credits_nothing_and_alerts(member):
    top_up_id = start_top_up(member, "100.00")

    outcome = callback(top_up_id, event_id="evt-1", amount="0.01").json()["outcome"]

    assert outcome == "top_up_amount_mismatch"
    assert TopUp.objects.get().state == "failed"
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.expected_amount, alert.received_amount) == ("amount_mismatch", D("100.00"), D("0.01"))
    assert Wallet.objects.get(member=member).total == D("0.00")
    assert not WalletEntry.objects.exists()


def test_a_failed_payment_leaves_the_top_up_failed_and_nothing_credited(member):
    top_up_id = start_top_up(member, "100.00")

    outcome = callback(top_up_id, event_id="evt-1", succeeded=False).json()["outcome"]

    assert outcome == "top_up_failed"
    assert TopUp.objects.get().state == "failed"
    assert not WalletEntry.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "-1.00"},
        {"amount": "0"},
        {"amount": "1.001"},
        {"amount": "99999999999.00"},
        {"amount": "5000.01"},  # above O2O_WALLET_MAX_TOP_UP
        {"amount": True},
        {"amount": "NaN"},
        {"amount": "abc"},
        {},
    ],
)
def test_bad_top_up_amounts_are_4xx_problems_and_write_nothing(member, body):
    response = as_member(member).post("wallet/top-ups", body)

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert not TopUp.objects.exists()


def test_a_body_that_is_not_json_is_refused(member):
    response = as_member(member).client.post(
        "/api/v1/wallet/top-ups", "amount=100", content_type="application/x-www-form-urlencoded",
        headers=as_member(member).headers,
    )  # fmt: skip
    broken = as_member(member).post("wallet/top-ups", "{not json")

    assert response.status_code == 415
    assert 400 <= broken.status_code < 500
    assert broken["Content-Type"] == "application/problem+json"
    assert not TopUp.objects.exists()


def test_anonymous_callers_learn_nothing():
    client = ApiClient()

    answers = [
        client.get("wallet/").status_code,
        client.get("wallet/entries").status_code,
        client.post("wallet/top-ups", {"amount": "10.00"}).status_code,
        client.post("wallet/payment-code").status_code,
        client.get("wallet/liabilities").status_code,
    ]

    assert answers == [401] * 5


def test_a_member_cannot_see_another_members_top_up(member):
    other = MemberFactory()
    top_up_id = start_top_up(other, "100.00")

    response = as_member(member).get(f"wallet/top-ups/{top_up_id}")

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert as_member(other).get(f"wallet/top-ups/{top_up_id}").json()["amount"] == "100.00"


def test_a_member_cannot_read_wallets_of_others(member):
    other = MemberFactory()
    Wallet.objects.create(member=other, principal=D("10.00"))

    response = as_member(member).get(f"wallet/members/{other.pk}")

    assert response.status_code == 403
    assert as_member(member).get("wallet/").json()["total"] == "0.00"


def test_clerk_tops_up_by_phone_once_per_idempotency_key(clerk, member, tier_500):
    body = {"location_id": clerk.home_location_id, "amount": "500.00", "method": "cash", "member_phone": member.phone}
    key = {"Idempotency-Key": "till-1-0001"}

    first = as_staff(clerk).post("wallet/counter/top-ups", body, headers=key)
    again = as_staff(clerk).post("wallet/counter/top-ups", body, headers=key)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["state"], first.json()["bonus"], first.json()["method"]) == ("succeeded", "50.00", "cash")
    top_up = TopUp.objects.get()
    assert (top_up.location_id, top_up.received_by_id) == (clerk.home_location_id, clerk.user_id)
    assert as_member(member).get("wallet/").json()["total"] == "550.00"


def test_clerk_tops_up_by_the_members_payment_code_which_is_then_used(clerk, member):
    code = as_member(member).post("wallet/payment-code").json()["code"]
    body = {"location_id": clerk.home_location_id, "amount": "100.00", "method": "card", "member_code": code}

    first = as_staff(clerk).post("wallet/counter/top-ups", body)
    second = as_staff(clerk).post("wallet/counter/top-ups", body)

    assert first.status_code == 201
    assert (second.status_code, problem_code(second)) == (409, "payment_code_invalid")
    assert as_member(member).get("wallet/").json()["principal"] == "100.00"


def test_clerk_of_another_store_cannot_top_up_there(clerk, member, other_store):
    body = {"location_id": other_store.pk, "amount": "100.00", "method": "cash", "member_phone": member.phone}

    response = as_staff(clerk).post("wallet/counter/top-ups", body)

    assert response.status_code in (403, 404)
    assert not TopUp.objects.exists()


def test_a_member_cannot_top_up_at_the_counter(member, store):
    body = {"location_id": store.pk, "amount": "100.00", "method": "cash", "member_phone": member.phone}

    response = as_member(member).post("wallet/counter/top-ups", body)

    assert response.status_code == 403
    assert not TopUp.objects.exists()


def test_payment_code_is_18_digits_and_only_its_hash_is_kept(member):
    response = as_member(member).post("wallet/payment-code")

    code = response.json()["code"]
    assert response.status_code == 201
    assert len(code) == 18 and code.isdigit()
    assert not PaymentCode.objects.filter(code_hash=code).exists()
    assert PaymentCode.objects.get().code_hash != code


def test_hq_freezes_then_top_up_is_refused_then_unfreezes(member):
    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    clerk = EmployeeFactory()

    frozen = as_staff(hq).post(f"wallet/members/{member.pk}/freeze", {"reason": "chargeback under review"})
    refused = as_member(member).post("wallet/top-ups", {"amount": "100.00"})
    at_counter = as_staff(clerk).post(
        "wallet/counter/top-ups",
        {"location_id": clerk.home_location_id, "amount": "10.00", "method": "cash", "member_phone": member.phone},
    )
    thawed = as_staff(hq).post(f"wallet/members/{member.pk}/unfreeze")

    assert frozen.json()["frozen"] is True
    assert (refused.status_code, problem_code(refused)) == (409, "wallet_frozen")
    assert (at_counter.status_code, problem_code(at_counter)) == (409, "wallet_frozen")
    assert not TopUp.objects.exists()
    assert thawed.json()["frozen"] is False
    assert Wallet.objects.get(member=member).freeze_reason == ""


def test_a_store_manager_cannot_freeze(member, store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    response = as_staff(manager).post(f"wallet/members/{member.pk}/freeze", {"reason": "x"})

    assert response.status_code == 403
    assert not Wallet.objects.filter(frozen_at__isnull=False).exists()


def test_principal_refund_at_the_counter(clerk, member, tier_500):
    as_staff(clerk).post(
        "wallet/counter/top-ups",
        {"location_id": clerk.home_location_id, "amount": "500.00", "method": "cash", "member_phone": member.phone},
    )
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=clerk.home_location)
    body = {"amount": "100.00", "reason": "member asked", "location_id": clerk.home_location_id}

    response = as_staff(manager).post(f"wallet/members/{member.pk}/principal-refunds", body)
    too_much = as_staff(manager).post(f"wallet/members/{member.pk}/principal-refunds", {**body, "amount": "400.01"})

    assert response.status_code == 201
    assert (response.json()["principal_delta"], response.json()["bonus_delta"]) == ("-100.00", "-10.00")
    assert (too_much.status_code, problem_code(too_much)) == (409, "insufficient_balance")
    assert as_member(member).get("wallet/").json()["total"] == "440.00"


def test_hq_manages_tiers(member):
    hq = EmployeeFactory(role=Role.HQ, home_location=None)

    created = as_staff(hq).post("wallet/tiers", {"pay_amount": "1000.00", "bonus_amount": "150.00"})
    duplicate = as_staff(hq).post("wallet/tiers", {"pay_amount": "1000.00", "bonus_amount": "100.00"})
    too_generous = as_staff(hq).post("wallet/tiers", {"pay_amount": "100.00", "bonus_amount": "100.01"})
    offered = as_member(member).get("wallet/tiers").json()
    off = as_staff(hq).post(f"wallet/tiers/{created.json()['id']}/active", {"active": False})

    assert created.status_code == 201
    assert (duplicate.status_code, problem_code(duplicate)) == (409, "conflict")
    assert too_generous.status_code in (400, 422)
    assert [(t["pay_amount"], t["bonus_amount"]) for t in offered] == [("1000.00", "150.00")]
    assert off.json()["active"] is False
    assert as_member(member).get("wallet/tiers").json() == []
    assert TopUpTier.objects.count() == 1


def test_liabilities_by_store_of_top_up(store, other_store, tier_500):
    clerk = EmployeeFactory(home_location=store)
    other_clerk = EmployeeFactory(home_location=other_store)
    member = MemberFactory()
    for who, amount in ((clerk, "500.00"), (other_clerk, "100.00")):
        as_staff(who).post(
            "wallet/counter/top-ups",
            {"location_id": who.home_location_id, "amount": amount, "method": "cash", "member_phone": member.phone},
        )
    online = start_top_up(MemberFactory(), "30.00")
    callback(online, event_id="evt-1")
    hq = EmployeeFactory(role=Role.HQ, home_location=None)

    report = as_staff(hq).get("wallet/liabilities").json()

    assert (report["principal"], report["bonus"], report["total"], report["wallets"]) == (
        "630.00",
        "50.00",
        "680.00",
        2,
    )
    by_store = {row["location_id"]: (row["principal"], row["bonus"]) for row in report["by_store"]}
    assert by_store == {None: ("30.00", "0.00"), store.pk: ("500.00", "50.00"), other_store.pk: ("100.00", "0.00")}
    assert as_staff(clerk).get("wallet/liabilities").status_code == 403


def test_a_clerk_guessing_payment_codes_is_stopped_even_for_the_right_code(clerk, member, settings):
    settings.O2O_PAYMENT_CODE_FAILED_ATTEMPTS = "10/minute"
    body = {"location_id": clerk.home_location_id, "amount": "10.00", "method": "cash"}
    wrong = [
        as_staff(clerk).post("wallet/counter/top-ups", {**body, "member_code": f"28{n:016d}"}).status_code
        for n in range(10)
    ]
    right = as_member(member).post("wallet/payment-code").json()["code"]

    refused = as_staff(clerk).post("wallet/counter/top-ups", {**body, "member_code": right})

    assert wrong == [409] * 10
    assert (refused.status_code, problem_code(refused)) == (429, "rate_limited")
    assert not TopUp.objects.exists()
    assert PaymentCode.objects.get().used_at is None  # the member's code still works elsewhere


def test_a_stale_online_top_up_is_failed_and_a_late_payment_still_credits_it(member):
    from datetime import timedelta

    from django.utils import timezone

    from o2o.wallet.services import fail_stale_top_ups

    top_up_id = start_top_up(member, "100.00")
    fresh = start_top_up(member, "20.00")

    failed = fail_stale_top_ups(now=timezone.now() + timedelta(hours=25))
    late = callback(top_up_id, event_id="evt-late").json()["outcome"]

    assert failed == 2
    assert late == "top_up_credited"
    assert TopUp.objects.get(pk=top_up_id).state == "succeeded"
    assert TopUp.objects.get(pk=fresh).state == "failed"
    assert as_member(member).get("wallet/").json()["principal"] == "100.00"


def test_the_stale_top_up_job_runs_hourly():
    from o2o.core import periodic
    from o2o.wallet.tasks import fail_stale_top_ups

    assert periodic._jobs["fail_stale_top_ups"].every_seconds == 3600
    assert periodic._jobs["fail_stale_top_ups"].task is fail_stale_top_ups
