"""The wallet's public services as payments calls them (in the caller's transaction)."""

from decimal import Decimal

import pytest
from django.db import transaction

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import DomainError, ErrorCode
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.wallet import services
from o2o.wallet.models import EntryKind, TopUp, TopUpTier, Wallet, WalletEntry
from o2o.wallet.selectors import balance

pytestmark = pytest.mark.django_db

D = Decimal


def fund(member, principal: str, bonus: str = "0") -> Wallet:
    """A wallet as a counter top-up leaves it: principal from a top-up, bonus from a tier."""
    if D(bonus):
        TopUpTier.objects.create(pay_amount=D(principal), bonus_amount=D(bonus))
    clerk = EmployeeFactory()
    services.top_up_at_counter(
        actor=actor_for_user(clerk.user),
        location_id=clerk.home_location_id,
        member_id=member.pk,
        amount=principal,
        method="cash",
    )
    TopUpTier.objects.update(active=False)
    return Wallet.objects.get(member=member)


def spend(member, amount: str, reference: str) -> WalletEntry:
    with transaction.atomic():
        return services.spend(member_id=member.pk, amount=D(amount), reference=reference, actor_id=None)


def refund(reference: str, amount: str, refund_reference: str) -> WalletEntry:
    with transaction.atomic():
        return services.refund_spend(
            spend_reference=reference, amount=D(amount), refund_reference=refund_reference, actor_id=None
        )


def test_bonus_tier_500_gives_550_as_500_principal_and_50_bonus(member):
    fund(member, "500.00", "50.00")

    assert balance(member_id=member.pk) == services_balance("500.00", "50.00")
    assert balance(member_id=member.pk).total == D("550.00")
    kinds = sorted(
        WalletEntry.objects.filter(wallet__member=member).values_list("kind", "principal_delta", "bonus_delta")
    )
    assert kinds == [(EntryKind.TOP_UP, D("500.00"), D("0.00")), (EntryKind.TOP_UP_BONUS, D("0.00"), D("50.00"))]


def services_balance(principal: str, bonus: str, frozen: bool = False):
    from o2o.wallet.selectors import WalletBalance

    return WalletBalance(principal=D(principal), bonus=D(bonus), frozen=frozen)


def test_proportional_spend_splits_to_the_fen(member, settings):
    settings.O2O_WALLET_SPEND_ORDER = "proportional"
    fund(member, "500.00", "50.00")

    entry = spend(member, "33.33", "payment:1")

    # 33.33 x 50 / 550 = 3.03 bonus (3.0300 rounded), 30.30 principal
    assert (entry.principal_delta, entry.bonus_delta) == (D("-30.30"), D("-3.03"))
    assert balance(member_id=member.pk) == services_balance("469.70", "46.97")


@pytest.mark.parametrize(
    ("rule", "principal", "bonus"),
    [("bonus_first", "50.00", "50.00"), ("principal_first", "100.00", "0.00")],
)
def test_spend_orders_by_rule(member, settings, rule, principal, bonus):
    settings.O2O_WALLET_SPEND_ORDER = rule
    fund(member, "500.00", "50.00")

    entry = spend(member, "100.00", "payment:1")

    assert (entry.principal_delta, entry.bonus_delta) == (-D(principal), -D(bonus))


def test_same_reference_spends_once(member):
    fund(member, "100.00")

    first = spend(member, "30.00", "payment:7")
    again = spend(member, "30.00", "payment:7")

    assert again.pk == first.pk
    assert balance(member_id=member.pk).total == D("70.00")


def test_spend_beyond_the_balance_is_refused_and_writes_nothing(member):
    fund(member, "100.00")

    with pytest.raises(DomainError) as refused:
        spend(member, "100.01", "payment:1")

    assert refused.value.code == ErrorCode.INSUFFICIENT_BALANCE
    assert balance(member_id=member.pk).total == D("100.00")
    assert not WalletEntry.objects.filter(kind=EntryKind.SPEND).exists()


def test_member_without_wallet_cannot_spend(member):
    with pytest.raises(DomainError) as refused:
        spend(member, "1.00", "payment:1")
    assert refused.value.code == ErrorCode.INSUFFICIENT_BALANCE


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "NaN", "1e30"])
def test_spend_of_a_bad_amount_is_invalid(member, amount):
    fund(member, "100.00")
    with pytest.raises(DomainError) as refused:
        spend(member, amount, "payment:1")
    assert refused.value.code == ErrorCode.INVALID
    assert balance(member_id=member.pk).total == D("100.00")


def test_frozen_wallet_refuses_spend_and_top_up(member):
    fund(member, "100.00")
    services.freeze_wallet(actor=SYSTEM, member_id=member.pk, reason="disputed top-up")

    with pytest.raises(DomainError) as refused:
        spend(member, "10.00", "payment:1")
    assert refused.value.code == ErrorCode.WALLET_FROZEN
    with pytest.raises(DomainError) as refused_top_up:
        fund(member, "10.00")
    assert refused_top_up.value.code == ErrorCode.WALLET_FROZEN
    assert balance(member_id=member.pk) == services_balance("100.00", "0.00", frozen=True)
    assert TopUp.objects.count() == 1


def test_refund_spend_returns_principal_and_bonus_in_the_spend_proportion(member):
    fund(member, "500.00", "50.00")
    spent = spend(member, "110.00", "payment:1")  # 100.00 principal + 10.00 bonus
    assert (spent.principal_delta, spent.bonus_delta) == (D("-100.00"), D("-10.00"))

    first = refund(reference="payment:1", amount="33.33", refund_reference="refund:1")
    second = refund(reference="payment:1", amount="76.67", refund_reference="refund:2")

    # cumulative: 33.33 of 110 -> bonus 3.03; then all of it -> bonus 10.00 in total
    assert (first.principal_delta, first.bonus_delta) == (D("30.30"), D("3.03"))
    assert (second.principal_delta, second.bonus_delta) == (D("69.70"), D("6.97"))
    assert balance(member_id=member.pk) == services_balance("500.00", "50.00")


def test_refunds_never_exceed_the_spend_and_repeat_by_reference(member):
    fund(member, "100.00")
    spend(member, "40.00", "payment:1")
    first = refund(reference="payment:1", amount="40.00", refund_reference="refund:1")

    assert refund(reference="payment:1", amount="40.00", refund_reference="refund:1").pk == first.pk
    with pytest.raises(DomainError) as refused:
        refund(reference="payment:1", amount="0.01", refund_reference="refund:2")

    assert refused.value.code == ErrorCode.CONFLICT
    assert balance(member_id=member.pk).total == D("100.00")
    assert WalletEntry.objects.filter(kind=EntryKind.SPEND_REFUND).count() == 1


def test_payment_code_is_single_use_and_bound_to_the_member(member):
    code, _row = services.issue_payment_code(actor=actor_for_member(member))

    with transaction.atomic():
        assert services.redeem_payment_code(code=code) == member.pk
    with pytest.raises(DomainError) as refused:
        services.redeem_payment_code(code=code)

    assert refused.value.code == ErrorCode.PAYMENT_CODE_INVALID


def test_a_new_payment_code_voids_the_older_one(member):
    old, _ = services.issue_payment_code(actor=actor_for_member(member))
    new, _ = services.issue_payment_code(actor=actor_for_member(member))

    with pytest.raises(DomainError) as refused:
        services.redeem_payment_code(code=old)
    assert refused.value.code == ErrorCode.PAYMENT_CODE_INVALID
    assert services.redeem_payment_code(code=new) == member.pk
    assert len(new) == 18 and new.isdigit()


def test_expired_payment_code_is_refused(member, settings):
    settings.O2O_PAYMENT_CODE_SECONDS = -1
    code, _ = services.issue_payment_code(actor=actor_for_member(member))

    with pytest.raises(DomainError) as refused:
        services.redeem_payment_code(code=code)
    assert refused.value.code == ErrorCode.PAYMENT_CODE_INVALID


def test_principal_refund_forfeits_the_bonus_in_proportion(member):
    fund(member, "500.00", "50.00")

    entry = services.refund_principal(actor=SYSTEM, member_id=member.pk, amount="250.00", reason="moving away")

    assert (entry.principal_delta, entry.bonus_delta) == (D("-250.00"), D("-25.00"))
    assert balance(member_id=member.pk) == services_balance("250.00", "25.00")


def test_another_member_wallet_is_untouched(member):
    other = MemberFactory()
    fund(member, "100.00")
    fund(other, "100.00")

    spend(member, "60.00", "payment:1")

    assert balance(member_id=other.pk).total == D("100.00")
