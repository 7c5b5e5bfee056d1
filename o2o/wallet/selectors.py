"""Reads of wallets, their ledgers, top-ups and tiers, for payments, the API and the pages."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from o2o.wallet.models import TopUp, TopUpTier, Wallet, WalletEntry

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class WalletBalance:
    principal: Decimal
    bonus: Decimal
    frozen: bool

    @property
    def total(self) -> Decimal:
        return self.principal + self.bonus


def balance(*, member_id: int) -> WalletBalance:
    """What the member holds (zeros before their first top-up)."""
    row = Wallet.objects.filter(member_id=member_id).values_list("principal", "bonus", "frozen_at").first()
    if row is None:
        return WalletBalance(principal=ZERO, bonus=ZERO, frozen=False)
    return WalletBalance(principal=row[0], bonus=row[1], frozen=row[2] is not None)


def wallet_of(*, member_id: int) -> Wallet | None:
    return Wallet.objects.filter(member_id=member_id).first()


def entries_of(*, member_id: int) -> QuerySet[WalletEntry]:
    """The member's ledger, newest first."""
    return WalletEntry.objects.filter(wallet__member_id=member_id).order_by("-created_at", "-pk")


def top_ups_of(*, member_id: int) -> QuerySet[TopUp]:
    return TopUp.objects.filter(member_id=member_id).order_by("-created_at", "-pk")


def offered_tiers(*, at=None) -> QuerySet[TopUpTier]:
    """The tiers a member can pick now, smallest first."""
    at = at or timezone.now()
    return (
        TopUpTier.objects.filter(active=True)
        .exclude(valid_from__gt=at)
        .exclude(valid_until__lte=at)
        .order_by("pay_amount")
    )


def all_tiers() -> QuerySet[TopUpTier]:
    return TopUpTier.objects.order_by("-active", "pay_amount")
