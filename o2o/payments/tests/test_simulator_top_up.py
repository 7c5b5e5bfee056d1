"""The simulated gateway's pay link of an online wallet top-up: opening it pays the top-up (once),
as it pays an order's payment; a reference of neither is a 404."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from o2o.payments.models import GatewayCallback
from o2o.testing.api import ApiClient, as_member, problem_code
from o2o.wallet.models import EntryKind, TopUp, TopUpTier, Wallet, WalletEntry

pytestmark = pytest.mark.django_db

D = Decimal


def _start_top_up(member, amount: str) -> dict:
    response = as_member(member).post("wallet/top-ups", {"amount": amount})
    assert response.status_code == 201, response.content
    return response.json()


def _open(pay_url: str, **params):
    """The customer opens the pay link at the simulated gateway and pays (or fails to)."""
    path = urlsplit(pay_url).path
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return ApiClient().post(f"{path}?{query}" if query else path)


def test_the_pay_link_of_a_top_up_credits_the_wallet_once(member):
    TopUpTier.objects.create(pay_amount=D("500.00"), bonus_amount=D("50.00"))
    started = _start_top_up(member, "500.00")

    first = _open(started["pay_url"])
    second = _open(started["pay_url"])

    assert (first.status_code, first.json()) == (200, {"outcome": "top_up_credited"})
    assert (second.status_code, second.json()) == (200, {"outcome": "top_up_already_settled"})
    assert as_member(member).get("wallet/").json() == {
        "principal": "500.00",
        "bonus": "50.00",
        "total": "550.00",
        "frozen": False,
    }
    assert as_member(member).get(f"wallet/top-ups/{started['top_up']['id']}").json()["state"] == "succeeded"
    assert WalletEntry.objects.filter(kind=EntryKind.TOP_UP).count() == 1
    assert WalletEntry.objects.filter(kind=EntryKind.TOP_UP_BONUS).count() == 1
    assert GatewayCallback.objects.count() == 2


def test_a_failed_payment_at_the_pay_link_fails_the_top_up_and_credits_nothing(member):
    started = _start_top_up(member, "88.00")

    failed = _open(started["pay_url"], outcome="failed")

    assert (failed.status_code, failed.json()) == (200, {"outcome": "top_up_failed"})
    assert TopUp.objects.get().state == TopUp.State.FAILED
    assert not Wallet.objects.filter(member=member, principal__gt=0).exists()
    assert not WalletEntry.objects.exists()


def test_a_reference_of_neither_a_payment_nor_a_top_up_is_404(member):
    _start_top_up(member, "88.00")

    response = ApiClient().post("payments/simulator/no-such-reference")

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert TopUp.objects.get().state == TopUp.State.PENDING
    assert not WalletEntry.objects.exists()
    assert not GatewayCallback.objects.exists()


def test_the_pay_link_of_a_top_up_is_404_when_the_simulator_is_off(settings, member):
    settings.O2O_PAYMENT_SIMULATOR = False
    started = _start_top_up(member, "88.00")

    response = _open(started["pay_url"])

    assert response.status_code == 404
    assert TopUp.objects.get().state == TopUp.State.PENDING
    assert not WalletEntry.objects.exists()
