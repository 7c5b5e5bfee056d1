"""Stored value (储值): a member's wallet, ledger, top-ups and payment code; the counter's top-up;
HQ's tiers, freezes and liabilities; principal refunds. Every rule lives in o2o.wallet."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey, Money, MoneyOrZero
from o2o.core.site import absolute_url
from o2o.payments import topups
from o2o.wallet import selectors
from o2o.wallet import services as wallet
from o2o.wallet.models import TopUpMethod

router = Router(tags=["wallet"])

Reason = Annotated[str, Field(min_length=1, max_length=255)]


class BalanceOut(Schema):
    principal: Decimal
    bonus: Decimal
    total: Decimal
    frozen: bool


class EntryOut(Schema):
    id: int
    kind: str
    principal_delta: Decimal
    bonus_delta: Decimal
    amount: Decimal
    reference: str
    created_at: datetime


class TierOut(Schema):
    id: int
    pay_amount: Decimal
    bonus_amount: Decimal
    active: bool
    valid_from: datetime | None
    valid_until: datetime | None


class TopUpOut(Schema):
    id: int
    amount: Decimal
    bonus: Decimal
    method: str
    state: str
    location_id: int | None
    created_at: datetime
    succeeded_at: datetime | None


class OnlineTopUpIn(Schema):
    amount: Money


class OnlineTopUpOut(Schema):
    top_up: TopUpOut
    pay_url: str


class PaymentCodeOut(Schema):
    code: str = Field(description="18 digits; show it as a QR code and as a barcode; single use")
    expires_at: datetime


class CounterTopUpIn(Schema):
    location_id: Id
    amount: Money
    method: TopUpMethod = Field(description="cash, card or store_qr")
    member_phone: str | None = Field(None, min_length=3, max_length=32)
    member_code: str | None = Field(None, min_length=1, max_length=32, description="The member's payment code")


class FreezeIn(Schema):
    reason: Reason


class MemberWalletOut(Schema):
    member_id: int
    balance: BalanceOut


class PrincipalRefundIn(Schema):
    amount: Money
    reason: Reason
    location_id: Id | None = Field(None, description="The store paying cash back; none for a transfer by HQ")


class TierIn(Schema):
    pay_amount: Money
    bonus_amount: MoneyOrZero
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class TierActiveIn(Schema):
    active: bool


class StoreLiabilityOut(Schema):
    location_id: int | None
    location_name: str
    principal: Decimal
    bonus: Decimal
    total: Decimal


class LiabilitiesOut(Schema):
    principal: Decimal
    bonus: Decimal
    total: Decimal
    wallets: int
    frozen_wallets: int
    by_store: list[StoreLiabilityOut]


def _balance(balance: selectors.WalletBalance) -> dict:
    return {"principal": balance.principal, "bonus": balance.bonus, "total": balance.total, "frozen": balance.frozen}


# --- the member's own wallet


@router.get("/", response=BalanceOut)
def my_balance(request: HttpRequest):
    """The signed-in member's principal, bonus and whether the wallet is frozen."""
    member = actor(request).require_member()
    return _balance(selectors.balance(member_id=member.pk))


@router.get("/entries", response=list[EntryOut])
@paginate(CursorPagination, ordering=("-created_at", "-pk"))
def my_entries(request: HttpRequest):
    """The member's ledger, newest first."""
    return selectors.entries_of(member_id=actor(request).require_member().pk)


@router.get("/tiers", response=list[TierOut])
def offered_tiers(request: HttpRequest):
    """The top-up tiers on offer now (pay 500, get 50 bonus)."""
    actor(request)
    return list(selectors.offered_tiers())


@router.post("/top-ups", response={201: OnlineTopUpOut})
def start_online_top_up(request: HttpRequest, payload: OnlineTopUpIn):
    """Top up the member's own wallet at the gateway; credited when the gateway's callback arrives,
    with the bonus of the best tier the amount reaches."""
    top_up, pay_url = topups.start_online_top_up(actor=actor(request), amount=payload.amount)
    return Status(201, {"top_up": top_up, "pay_url": absolute_url(pay_url, request)})


@router.get("/top-ups/{top_up_id}", response=TopUpOut)
def my_top_up(request: HttpRequest, top_up_id: Id):
    return selectors.top_up_for(actor=actor(request), top_up_id=top_up_id)


@router.post("/payment-code", response={201: PaymentCodeOut})
def issue_payment_code(request: HttpRequest):
    """A fresh payment code to show at the counter (older ones stop working)."""
    code, row = wallet.issue_payment_code(actor=actor(request))
    return Status(201, {"code": code, "expires_at": row.expires_at})


# --- the counter


@router.post("/counter/top-ups", response={201: TopUpOut})
def top_up_at_counter(request: HttpRequest, payload: CounterTopUpIn, idempotency_key: IdempotencyKey = None):
    """Cash, card or QR taken at the store's counter into a member's wallet, found by phone or by
    the payment code they show. A retry with the same Idempotency-Key returns the first top-up."""
    top_up = wallet.top_up_at_counter(
        actor=actor(request),
        location_id=payload.location_id,
        amount=payload.amount,
        method=payload.method,
        member_phone=payload.member_phone,
        member_code=payload.member_code,
        idempotency_key=idempotency_key,
    )
    return Status(201, top_up)


# --- staff acting on a member's wallet


@router.get("/members/{member_id}", response=MemberWalletOut)
def member_wallet(request: HttpRequest, member_id: Id):
    member, balance = selectors.member_wallet_for(actor=actor(request), member_id=member_id)
    return {"member_id": member.pk, "balance": _balance(balance)}


@router.post("/members/{member_id}/freeze", response=BalanceOut)
def freeze(request: HttpRequest, member_id: Id, payload: FreezeIn):
    """HQ: stop the wallet spending and taking top-ups, with a reason."""
    wallet.freeze_wallet(actor=actor(request), member_id=member_id, reason=payload.reason)
    return _balance(selectors.balance(member_id=member_id))


@router.post("/members/{member_id}/unfreeze", response=BalanceOut)
def unfreeze(request: HttpRequest, member_id: Id):
    wallet.unfreeze_wallet(actor=actor(request), member_id=member_id)
    return _balance(selectors.balance(member_id=member_id))


@router.post("/members/{member_id}/principal-refunds", response={201: EntryOut})
def refund_principal(
    request: HttpRequest, member_id: Id, payload: PrincipalRefundIn, idempotency_key: IdempotencyKey = None
):
    """Pay principal back (cash at the store's counter, or by transfer); the bonus goes with it in
    proportion. A retry with the same Idempotency-Key returns the first refund."""
    entry = wallet.refund_principal(
        actor=actor(request),
        member_id=member_id,
        amount=payload.amount,
        reason=payload.reason,
        location_id=payload.location_id,
        idempotency_key=idempotency_key,
    )
    return Status(201, entry)


# --- HQ


@router.post("/tiers", response={201: TierOut})
def create_tier(request: HttpRequest, payload: TierIn):
    tier = wallet.save_top_up_tier(
        actor=actor(request),
        pay_amount=payload.pay_amount,
        bonus_amount=payload.bonus_amount,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
    )
    return Status(201, tier)


@router.post("/tiers/{tier_id}/active", response=TierOut)
def set_tier_active(request: HttpRequest, tier_id: Id, payload: TierActiveIn):
    return wallet.set_top_up_tier_active(actor=actor(request), tier_id=tier_id, active=payload.active)


@router.get("/liabilities", response=LiabilitiesOut)
def liabilities(request: HttpRequest):
    """HQ: stored value owed to members, principal and bonus, by store of top-up (none: online)."""
    report = selectors.liabilities(actor=actor(request))
    return {
        "principal": report.principal,
        "bonus": report.bonus,
        "total": report.total,
        "wallets": report.wallets,
        "frozen_wallets": report.frozen_wallets,
        "by_store": [
            {
                "location_id": row.location_id,
                "location_name": row.location_name,
                "principal": row.principal,
                "bonus": row.bonus,
                "total": row.total,
            }
            for row in report.by_store
        ],
    }
