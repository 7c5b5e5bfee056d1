"""Reads of wallets, their ledgers, top-ups and tiers, for payments, the API and the pages."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import CENT, to_money
from o2o.members.models import Member
from o2o.members.selectors import member_by_phone
from o2o.stores.models import Location
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


def top_up_for(*, actor: Actor, top_up_id: int) -> TopUp:
    """The member's own top-up; another's answers like a missing one (404)."""
    member = actor.require_member()
    top_up = TopUp.objects.filter(pk=top_up_id, member=member).first()
    if top_up is None:
        raise not_found("top-up")
    return top_up


def _may_act_on_wallets(actor: Actor) -> None:
    if not (may(actor, Operation.FREEZE_WALLET) or may(actor, Operation.REFUND_WALLET_PRINCIPAL)):
        raise DomainError(ErrorCode.FORBIDDEN, "your role may not see members' wallets")


def member_by_phone_for(*, actor: Actor, phone: str) -> Member:
    """The member with this phone, for the staff who act on wallets (freeze, principal refunds)."""
    _may_act_on_wallets(actor)
    return member_by_phone(phone=phone)


def member_wallet_for(*, actor: Actor, member_id: int) -> tuple[Member, WalletBalance]:
    """A member's wallet for the staff who act on wallets (freeze, principal refunds)."""
    _may_act_on_wallets(actor)
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise not_found("member")
    return member, balance(member_id=member_id)


@dataclass(frozen=True)
class StoreLiability:
    location_id: int | None  # None: topped up online
    location_name: str
    principal: Decimal
    bonus: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.bonus


@dataclass(frozen=True)
class Liabilities:
    principal: Decimal
    bonus: Decimal
    wallets: int
    frozen_wallets: int
    by_store: list[StoreLiability]

    @property
    def total(self) -> Decimal:
        return self.principal + self.bonus


def _allocate(amount: Decimal, weights: dict[int | None, Decimal]) -> dict[int | None, Decimal]:
    """`amount` split over the keys in proportion to their weights, to the fen, summing exactly
    (the largest remainders take the odd fen)."""
    total = sum(weights.values())
    if not amount or not total:
        return {}
    exact = {key: amount * weight / total for key, weight in weights.items()}
    shares = {key: value.quantize(CENT, rounding=ROUND_DOWN) for key, value in exact.items()}
    leftover = int((amount - sum(shares.values())) / CENT)
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[:leftover]:
        shares[key] += CENT
    return shares


def liabilities(*, actor: Actor) -> Liabilities:
    """What the chain owes its members in stored value: principal (refundable) and bonus, and by
    store of top-up: each wallet's balance attributed to the stores (None: online) in proportion
    to what it was topped up with there, principal by principal paid and bonus by bonus given."""
    authorize(actor, Operation.VIEW_WALLET_LIABILITIES)
    totals = Wallet.objects.aggregate(
        principal=Sum("principal", default=ZERO),
        bonus=Sum("bonus", default=ZERO),
        wallets=Count("pk"),
        frozen=Count("pk", filter=Q(frozen_at__isnull=False)),
    )
    paid_in: dict[int, dict[int | None, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for row in (
        TopUp.objects.filter(state=TopUp.State.SUCCEEDED)
        .values("member_id", "location_id")
        .annotate(amount=Sum("amount"), bonus=Sum("bonus"))
    ):
        paid_in[row["member_id"]][row["location_id"]] = (row["amount"], row["bonus"])
    owed: dict[int | None, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for member_id, principal, bonus in Wallet.objects.filter(Q(principal__gt=0) | Q(bonus__gt=0)).values_list(
        "member_id", "principal", "bonus"
    ):
        sources = paid_in.get(member_id, {})
        by_principal = {key: amount for key, (amount, _bonus) in sources.items()}
        by_bonus = {key: given for key, (_amount, given) in sources.items() if given} or by_principal
        for key, share in _allocate(principal, by_principal).items():
            owed[key][0] += share
        for key, share in _allocate(bonus, by_bonus).items():
            owed[key][1] += share
    names = dict(Location.objects.filter(pk__in=[key for key in owed if key]).values_list("pk", "name"))
    by_store = [
        StoreLiability(location_id=key, location_name=names.get(key, ""), principal=p, bonus=b)
        for key, (p, b) in sorted(owed.items(), key=lambda item: (item[0] is not None, item[0] or 0))
    ]
    return Liabilities(
        # to_money: SQLite sums decimals as floats (630 for 630.00)
        principal=to_money(totals["principal"]),
        bonus=to_money(totals["bonus"]),
        wallets=totals["wallets"],
        frozen_wallets=totals["frozen"],
        by_store=by_store,
    )
