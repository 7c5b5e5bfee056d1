"""`o2o audit` on wallets: clean books pass; each kind of broken book is found."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from o2o.access.actors import actor_for_user
from o2o.testing.factories import EmployeeFactory
from o2o.wallet import audit, services
from o2o.wallet.models import EntryKind, TopUp, Wallet, WalletEntry

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def funded(member):
    clerk = EmployeeFactory()
    services.top_up_at_counter(
        actor=actor_for_user(clerk.user), location_id=clerk.home_location_id, member_id=member.pk,
        amount="200.00", method="cash",
    )  # fmt: skip
    with transaction.atomic():
        services.spend(member_id=member.pk, amount=D("80.00"), reference="payment:1", actor_id=None)
        services.refund_spend(spend_reference="payment:1", amount=D("30.00"), refund_reference="r:1", actor_id=None)
    return member


def test_clean_books_pass_the_audit(funded):
    out = StringIO()

    assert audit.problems() == []
    call_command("audit", stdout=out)  # the whole command: no other app's findings on this data either
    assert "0 differences" in out.getvalue()


def test_a_balance_changed_outside_the_ledger_is_found(funded):
    Wallet.objects.filter(member=funded).update(principal=D("500.00"))

    assert [f.check for f in audit.run()] == ["wallet_ledger"]
    with pytest.raises(CommandError):
        call_command("audit", stdout=StringIO())


def test_a_succeeded_top_up_without_its_credit_is_found(funded):
    TopUp.objects.filter(member=funded).update(amount=D("250.00"))

    assert [f.check for f in audit.run()] == ["top_up_entries"]


def test_a_spend_whose_refund_counter_disagrees_is_found(funded):
    WalletEntry.objects.filter(kind=EntryKind.SPEND).update(refunded_principal=D("0.00"))

    assert [f.check for f in audit.run()] == ["spend_refunds"]
