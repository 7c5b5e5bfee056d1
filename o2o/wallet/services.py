"""Every write to a wallet. The balances change only here, by one conditional UPDATE each
(`... SET principal = principal - p WHERE principal >= p`), together with a ledger entry in the
same transaction; the wallet's CHECKs are the last guard.

`spend`, `refund_spend`, `redeem_payment_code` (and `selectors.balance`) are what payments uses
for the wallet tender: they run in the caller's transaction, take no locks of their own before
the caller's (the order row first), and are idempotent by reference.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Round
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import CENT, to_money
from o2o.core.ratelimits import is_exhausted
from o2o.core.ratelimits import spend as spend_budget
from o2o.members.models import Member
from o2o.members.selectors import member_by_phone
from o2o.wallet.models import (
    COUNTER_TOP_UP_METHODS,
    EntryKind,
    PaymentCode,
    TopUp,
    TopUpMethod,
    TopUpTier,
    Wallet,
    WalletEntry,
)

MAX_AMOUNT = Decimal("9999999999.99")
SPEND_ORDERS = ("proportional", "bonus_first", "principal_first")
PAYMENT_CODE_DIGITS = 18
PAYMENT_CODE_PREFIX = "28"  # the rest are random digits; the prefix tells a scanner what it read
SPEND_ATTEMPTS = 5  # re-reads when a concurrent spend changed the split between read and UPDATE


# ---------------------------------------------------------------------------------------------
# amounts


def valid_amount(
    amount: object, *, field: str = "amount", maximum: Decimal = MAX_AMOUNT, allow_zero: bool = False
) -> Decimal:
    """A positive amount (or zero when allowed) with at most two decimal places and at most
    `maximum`, or INVALID (a 400 at the API)."""
    value = None
    if isinstance(amount, Decimal | int | str) and not isinstance(amount, bool):
        try:
            value = Decimal(str(amount).strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        raise DomainError(ErrorCode.INVALID, f"{field} is not an amount", field=field)
    lowest = Decimal(0) if allow_zero else CENT
    if not lowest <= value <= maximum:
        raise DomainError(ErrorCode.INVALID, f"{field} must be from {lowest} to {maximum}", field=field)
    if value != value.quantize(CENT):
        raise DomainError(ErrorCode.INVALID, f"{field} has more than two decimal places", field=field)
    return value.quantize(CENT)


def max_top_up() -> Decimal:
    return to_money(settings.O2O_WALLET_MAX_TOP_UP)


# ---------------------------------------------------------------------------------------------
# the wallet tender: spend and refund (caller's transaction)


def _split(amount: Decimal, principal: Decimal, bonus: Decimal) -> tuple[Decimal, Decimal]:
    """(principal part, bonus part) of a spend, by O2O_WALLET_SPEND_ORDER; each within its balance
    when the total covers the amount."""
    rule = settings.O2O_WALLET_SPEND_ORDER
    if rule == "bonus_first":
        from_bonus = min(bonus, amount)
    elif rule == "principal_first":
        from_bonus = amount - min(principal, amount)
    else:  # proportional: bonus in proportion to the balances, to the fen (never above the bonus)
        total = principal + bonus
        from_bonus = to_money(amount * bonus / total) if total else Decimal("0.00")
    return amount - from_bonus, from_bonus


def _wallet_of(member_id: int) -> Wallet | None:
    return Wallet.objects.filter(member_id=member_id).first()


def _first_entry(wallet_id: int, kind: EntryKind, reference: str) -> WalletEntry | None:
    return WalletEntry.objects.filter(wallet_id=wallet_id, kind=kind, reference=reference).first()


def _check_reference(reference: str) -> str:
    if not isinstance(reference, str) or not 1 <= len(reference) <= 64:
        raise DomainError(ErrorCode.INVALID, "a wallet reference has 1 to 64 characters")
    return reference


def spend(*, member_id: int, amount: Decimal, reference: str, actor_id: int | None) -> WalletEntry:
    """Take `amount` from the member's wallet (principal and bonus by the spending order rule).

    Runs in the caller's transaction. The same reference again returns the first entry (the same
    reference with another amount is an IDEMPOTENCY_CONFLICT). Refused: INSUFFICIENT_BALANCE,
    WALLET_FROZEN; nothing is written then."""
    amount = valid_amount(amount)
    _check_reference(reference)
    # One read: the wallet and, if this reference was spent already, that entry's id.
    earlier = WalletEntry.objects.filter(wallet=OuterRef("pk"), kind=EntryKind.SPEND, reference=reference)
    wallet = Wallet.objects.filter(member_id=member_id).annotate(earlier_id=Subquery(earlier.values("pk")[:1])).first()
    if wallet is None:
        raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, "the wallet does not cover the amount", balance="0.00")
    if wallet.earlier_id is not None:
        first = WalletEntry.objects.get(pk=wallet.earlier_id)
        if -first.amount != amount:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this wallet reference was spent with another amount")
        return first
    for _attempt in range(SPEND_ATTEMPTS):
        if wallet.frozen_at is not None:
            raise DomainError(ErrorCode.WALLET_FROZEN, "the wallet is frozen")
        if wallet.principal + wallet.bonus < amount:
            raise DomainError(
                ErrorCode.INSUFFICIENT_BALANCE, "the wallet does not cover the amount", balance=str(wallet.total)
            )
        from_principal, from_bonus = _split(amount, wallet.principal, wallet.bonus)
        # The split was computed from the balances as read; the UPDATE takes it only if both parts
        # are still there (a concurrent spend may have taken them): then read again and re-split.
        if Wallet.objects.filter(
            pk=wallet.pk, frozen_at__isnull=True, principal__gte=from_principal, bonus__gte=from_bonus
        ).update(principal=F("principal") - from_principal, bonus=F("bonus") - from_bonus):
            return WalletEntry.objects.create(
                wallet=wallet,
                kind=EntryKind.SPEND,
                principal_delta=-from_principal,
                bonus_delta=-from_bonus,
                reference=reference,
                actor_id=actor_id,
            )
        wallet.refresh_from_db(fields=["principal", "bonus", "frozen_at"])
    raise DomainError(ErrorCode.CONFLICT, "the wallet is busy; try again")


def _refund_parts(spend_entry: WalletEntry, amount: Decimal) -> tuple[Decimal, Decimal]:
    """This refund's (principal, bonus): the cumulative refunds follow the spend's proportion, so
    refunding a spend in several parts gives back exactly what it took, bonus never more."""
    spent_principal, spent_bonus = -spend_entry.principal_delta, -spend_entry.bonus_delta
    spent = spent_principal + spent_bonus
    refunded_bonus = spend_entry.refunded_bonus
    refunded = spend_entry.refunded_principal + refunded_bonus + amount
    bonus_so_far = to_money(spent_bonus * refunded / spent)
    to_bonus = bonus_so_far - refunded_bonus
    return amount - to_bonus, to_bonus


def refund_spend(*, spend_reference: str, amount: Decimal, refund_reference: str, actor_id: int | None) -> WalletEntry:
    """Give `amount` of a spend back to its wallet, principal and bonus in the spend's proportion.

    Runs in the caller's transaction; locks the spend's ledger row (after whatever the caller
    locked first). The refunds of a spend never total more than it took (409); the same
    refund_reference again returns the first refund. A frozen wallet still takes money back."""
    amount = valid_amount(amount)
    _check_reference(spend_reference)
    _check_reference(refund_reference)
    spends = list(WalletEntry.objects.select_for_update().filter(kind=EntryKind.SPEND, reference=spend_reference)[:2])
    if len(spends) != 1:
        raise not_found("wallet spend")
    spent = spends[0]
    if (first := _first_entry(spent.wallet_id, EntryKind.SPEND_REFUND, refund_reference)) is not None:
        if first.refund_of_id != spent.pk or first.amount != amount:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this refund reference was used for another refund")
        return first
    if spent.refunded_principal + spent.refunded_bonus + amount > -spent.amount:
        raise DomainError(
            ErrorCode.CONFLICT,
            "the refunds would exceed what the spend took",
            refundable=str(-spent.amount - spent.refunded_principal - spent.refunded_bonus),
        )
    to_principal, to_bonus = _refund_parts(spent, amount)
    # Guarded by the spend's own counters too (and its CHECK): never more back than it took.
    if not WalletEntry.objects.filter(
        pk=spent.pk,
        # Round: SQLite subtracts decimals as floats (10.00 - 6.97 < 3.03 there)
        refunded_principal__lte=Round(-F("principal_delta") - to_principal, 2),
        refunded_bonus__lte=Round(-F("bonus_delta") - to_bonus, 2),
    ).update(refunded_principal=F("refunded_principal") + to_principal, refunded_bonus=F("refunded_bonus") + to_bonus):
        raise DomainError(ErrorCode.CONFLICT, "the refunds would exceed what the spend took")
    Wallet.objects.filter(pk=spent.wallet_id).update(
        principal=F("principal") + to_principal, bonus=F("bonus") + to_bonus
    )
    return WalletEntry.objects.create(
        wallet_id=spent.wallet_id,
        kind=EntryKind.SPEND_REFUND,
        principal_delta=to_principal,
        bonus_delta=to_bonus,
        reference=refund_reference,
        refund_of=spent,
        actor_id=actor_id,
    )


# ---------------------------------------------------------------------------------------------
# payment codes


def _code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"payment-code:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    random_part = PAYMENT_CODE_DIGITS - len(PAYMENT_CODE_PREFIX)
    return PAYMENT_CODE_PREFIX + f"{secrets.randbelow(10**random_part):0{random_part}d}"


@transaction.atomic(durable=True)
def issue_payment_code(*, actor: Actor) -> tuple[str, PaymentCode]:
    """A fresh code for the member to show at the counter; their older codes stop working.

    Returns the code itself (shown once, never stored) with its row."""
    member = actor.require_member()
    authorize(actor, Operation.TOP_UP_OWN_WALLET)
    _refuse_anonymised(member)
    now = timezone.now()
    PaymentCode.objects.filter(member=member, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    expires_at = now + timedelta(seconds=settings.O2O_PAYMENT_CODE_SECONDS)
    for _attempt in range(3):
        code = _new_code()
        try:
            with transaction.atomic():  # a collision with a live code (1 in 10^16) draws again
                return code, PaymentCode.objects.create(
                    member=member, code_hash=_code_hash(code), expires_at=expires_at
                )
        except IntegrityError:
            continue
    raise DomainError(ErrorCode.CONFLICT, "no payment code could be issued; try again")


def redeem_payment_code(*, code: str) -> int:
    """The member who showed this code; the code is used up by this one conditional UPDATE.

    Runs in the caller's transaction. Unknown, expired, voided or used: PAYMENT_CODE_INVALID (the
    same answer for each, so a scanner learns nothing)."""
    if not isinstance(code, str) or len(code) != PAYMENT_CODE_DIGITS or not code.isdigit() or not code.isascii():
        raise DomainError(ErrorCode.PAYMENT_CODE_INVALID, "this payment code is not valid")
    now = timezone.now()
    live = PaymentCode.objects.filter(
        code_hash=_code_hash(code), used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now
    )
    member_id = live.values_list("member_id", flat=True).first()
    if member_id is None or not live.update(used_at=now):
        raise DomainError(ErrorCode.PAYMENT_CODE_INVALID, "this payment code is not valid")
    return member_id


# ---------------------------------------------------------------------------------------------
# top-ups


def _refuse_anonymised(member: Member) -> None:
    if member.anonymised_at is not None:
        raise DomainError(ErrorCode.MEMBER_ANONYMISED, "this member account was deleted")


def bonus_for(amount: Decimal, *, at=None) -> tuple[TopUpTier | None, Decimal]:
    """The best tier this payment reaches (the active tier with the highest pay amount at most
    `amount`, in its window) and its bonus."""
    at = at or timezone.now()
    tier = (
        TopUpTier.objects.filter(active=True, pay_amount__lte=amount)
        .exclude(valid_from__gt=at)
        .exclude(valid_until__lte=at)
        .order_by("-pay_amount")
        .first()
    )
    return tier, (tier.bonus_amount if tier else Decimal("0.00"))


def _wallet_for_credit(member_id: int) -> Wallet:
    wallet, _created = Wallet.objects.get_or_create(member_id=member_id)
    return wallet


def _refuse_frozen(wallet: Wallet) -> None:
    if wallet.frozen_at is not None:
        raise DomainError(ErrorCode.WALLET_FROZEN, "the wallet is frozen")


def new_top_up(
    *,
    member: Member,
    amount: object,
    method: TopUpMethod,
    gateway: str = "",
    gateway_ref: str | None = None,
    location_id: int | None = None,
    received_by_id: int | None = None,
) -> TopUp:
    """A pending top-up with its bonus fixed now (a tier change later does not alter it)."""
    amount = valid_amount(amount, maximum=max_top_up())
    _refuse_anonymised(member)
    _refuse_frozen(_wallet_for_credit(member.pk))
    tier, bonus = bonus_for(amount)
    return TopUp.objects.create(
        member=member,
        amount=amount,
        bonus=bonus,
        tier=tier,
        method=method,
        gateway=gateway,
        gateway_ref=gateway_ref,
        location_id=location_id,
        received_by_id=received_by_id,
    )


def credit_top_up(*, top_up_id: int, gateway_txn_id: str | None = None) -> bool:
    """Pending (or failed without money) -> succeeded and the wallet credited, exactly once: the
    top-up's conditional UPDATE decides (False: it was settled already). Caller's transaction. A
    wallet frozen meanwhile still takes the money it paid for (the freeze stops spending)."""
    now = timezone.now()
    fields = {"state": TopUp.State.SUCCEEDED, "succeeded_at": now}
    if gateway_txn_id is not None:
        fields["gateway_txn_id"] = gateway_txn_id
    # A failure the gateway reported before the money arrived after all still credits it once.
    payable = Q(state=TopUp.State.PENDING) | Q(state=TopUp.State.FAILED, gateway_txn_id__isnull=True)
    if not TopUp.objects.filter(payable, pk=top_up_id).update(**fields):
        return False
    top_up = TopUp.objects.get(pk=top_up_id)
    wallet = _wallet_for_credit(top_up.member_id)
    Wallet.objects.filter(pk=wallet.pk).update(
        principal=F("principal") + top_up.amount, bonus=F("bonus") + top_up.bonus
    )
    common = {"wallet": wallet, "reference": top_up.reference, "location_id": top_up.location_id,
              "actor_id": top_up.received_by_id, "top_up": top_up}  # fmt: skip
    WalletEntry.objects.create(kind=EntryKind.TOP_UP, principal_delta=top_up.amount, bonus_delta=0, **common)
    if top_up.bonus:
        WalletEntry.objects.create(kind=EntryKind.TOP_UP_BONUS, principal_delta=0, bonus_delta=top_up.bonus, **common)
    return True


def credit_gift(
    *, member_id: int, amount: Decimal, reference: str, actor_id: int | None = None, note: str = ""
) -> WalletEntry:
    """Promotional credit (a red packet, a referral reward) into the member's BONUS: gift money is
    spent like a top-up's bonus and never paid out as principal.

    Runs in the caller's transaction. Idempotent on reference: the same reference again returns the
    first entry (with another amount: IDEMPOTENCY_CONFLICT). A frozen wallet still takes it (the
    freeze stops spending); a deleted account does not."""
    amount = valid_amount(amount)
    _check_reference(reference)
    if not Member.objects.filter(pk=member_id, anonymised_at__isnull=True).exists():
        raise not_found("member")
    wallet = _wallet_for_credit(member_id)
    if (first := _first_entry(wallet.pk, EntryKind.GIFT, reference)) is not None:
        if first.amount != amount:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this gift reference was used with another amount")
        return first
    entry = WalletEntry.objects.create(
        wallet=wallet,
        kind=EntryKind.GIFT,
        principal_delta=0,
        bonus_delta=amount,
        reference=reference,
        actor_id=actor_id,
        note=note[:255],
    )  # the UNIQUE (wallet, kind, reference) row first: a racing duplicate fails before any credit
    Wallet.objects.filter(pk=wallet.pk).update(bonus=F("bonus") + amount)
    return entry


def fail_top_up(*, top_up_id: int, gateway_txn_id: str | None = None) -> bool:
    """Pending -> failed (the gateway said no, or took a wrong amount); False if it was settled."""
    fields: dict = {"state": TopUp.State.FAILED}
    if gateway_txn_id is not None:
        fields["gateway_txn_id"] = gateway_txn_id
    return bool(TopUp.objects.filter(pk=top_up_id, state=TopUp.State.PENDING).update(**fields))



def top_up_at_counter(
    *,
    actor: Actor,
    location_id: int,
    amount: object,
    method: str,
    member_id: int | None = None,
    member_phone: str | None = None,
    member_code: str | None = None,
    idempotency_key: str | None = None,
) -> TopUp:
    """Cash, card or QR taken at the counter of `location_id` into a member's wallet, at once. The
    member is named by one of: `member_id`, their phone (`member_phone`), or the payment code they
    show (`member_code`, used up in the same transaction).

    A retry with the same idempotency key returns the first top-up and credits nothing more."""
    if method not in COUNTER_TOP_UP_METHODS:
        raise DomainError(ErrorCode.INVALID, "unknown counter top-up method", field="method")
    if sum(given is not None for given in (member_id, member_phone, member_code)) != 1:
        raise DomainError(ErrorCode.INVALID, "name the member by one of id, phone or payment code", field="member")
    authorize(actor, Operation.TOP_UP_AT_COUNTER, location_id=location_id)
    amount = valid_amount(amount, maximum=max_top_up())
    if member_phone is not None:
        member_id = member_by_phone(phone=member_phone).pk
    if member_code is not None:
        refuse_when_guessing_codes(actor)
    try:
        result = _run_counter_top_up(
            actor=actor,
            location_id=location_id,
            amount=amount,
            method=method,
            member_id=member_id,
            member_code=member_code,
            idempotency_key=idempotency_key,
        )
    except DomainError as error:
        if error.code == ErrorCode.PAYMENT_CODE_INVALID:
            count_failed_code(actor)  # after the rollback: the count must survive it
        raise
    return TopUp.objects.get(pk=result["top_up_id"])


CODE_FAILURES = "wallet_payment_code_failures"


def refuse_when_guessing_codes(actor: Actor) -> None:
    """RATE_LIMITED once this staff member has presented O2O_PAYMENT_CODE_FAILED_ATTEMPTS invalid
    payment codes (the budget of a scanner that guesses). Call before redeeming a code."""
    if is_exhausted(settings.O2O_PAYMENT_CODE_FAILED_ATTEMPTS, CODE_FAILURES, str(actor.user_id)):
        raise DomainError(ErrorCode.RATE_LIMITED, "too many invalid payment codes; wait a minute")


def count_failed_code(actor: Actor) -> None:
    """Count an invalid payment code against the staff member (outside the failed transaction)."""
    spend_budget(settings.O2O_PAYMENT_CODE_FAILED_ATTEMPTS, CODE_FAILURES, str(actor.user_id))


def _run_counter_top_up(
    *,
    actor: Actor,
    location_id: int,
    amount: Decimal,
    method: str,
    member_id: int | None,
    member_code: str | None,
    idempotency_key: str | None,
) -> dict:
    return run_once(
        scope=actor.idempotency_scope,
        operation="wallet_counter_top_up",
        key=idempotency_key,
        fingerprint=fingerprint(
            location=location_id, member=member_id, code=member_code, amount=str(amount), method=method
        ),
        perform=lambda: {
            "top_up_id": _top_up_at_counter(
                actor=actor,
                location_id=location_id,
                member_id=member_id if member_code is None else redeem_payment_code(code=member_code),
                amount=amount,
                method=method,
            ).pk
        },
    )


def _top_up_at_counter(*, actor: Actor, location_id: int, member_id: int, amount: Decimal, method: str) -> TopUp:
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise not_found("member")
    top_up = new_top_up(
        member=member, amount=amount, method=method, location_id=location_id, received_by_id=actor.user_id
    )
    credit_top_up(top_up_id=top_up.pk)
    top_up.refresh_from_db()
    return top_up


# ---------------------------------------------------------------------------------------------
# HQ and the counter: freeze, principal refunds, tiers


@transaction.atomic(durable=True)
def freeze_wallet(*, actor: Actor, member_id: int, reason: str) -> Wallet:
    """Stop spending and top-ups (suspected fraud, a dispute); money already in stays."""
    authorize(actor, Operation.FREEZE_WALLET)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 255:
        raise DomainError(ErrorCode.INVALID, "a freeze needs a reason of 1 to 255 characters", field="reason")
    if not Member.objects.filter(pk=member_id).exists():
        raise not_found("member")
    wallet = _wallet_for_credit(member_id)
    if not Wallet.objects.filter(pk=wallet.pk, frozen_at__isnull=True).update(
        frozen_at=timezone.now(), frozen_by_id=actor.user_id, freeze_reason=reason
    ):
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the wallet is frozen already")
    wallet.refresh_from_db()
    return wallet


@transaction.atomic(durable=True)
def unfreeze_wallet(*, actor: Actor, member_id: int) -> Wallet:
    authorize(actor, Operation.FREEZE_WALLET)
    wallet = _wallet_of(member_id)
    if wallet is None:
        raise not_found("wallet")
    if not Wallet.objects.filter(pk=wallet.pk, frozen_at__isnull=False).update(
        frozen_at=None, frozen_by=None, freeze_reason=""
    ):
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the wallet is not frozen")
    wallet.refresh_from_db()
    return wallet


def refund_principal(
    *,
    actor: Actor,
    member_id: int,
    amount: object,
    reason: str,
    location_id: int | None = None,
    idempotency_key: str | None = None,
) -> WalletEntry:
    """Pay principal back to the member (cash at `location_id`'s counter, or by transfer from HQ /
    customer service). The bonus goes with it in proportion (bonus is never paid out, and cannot
    outlive the money that earned it): refunding all the principal forfeits all the bonus."""
    authorize(actor, Operation.REFUND_WALLET_PRINCIPAL, location_id=location_id)
    if actor.employee is not None and actor.location_ids is not None and location_id is None:
        raise DomainError(ErrorCode.INVALID, "a store pays principal back at its counter", field="location_id")
    amount = valid_amount(amount)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 255:
        raise DomainError(ErrorCode.INVALID, "a refund needs a reason of 1 to 255 characters", field="reason")
    result = run_once(
        scope=actor.idempotency_scope,
        operation="wallet_principal_refund",
        key=idempotency_key,
        fingerprint=fingerprint(member=member_id, amount=str(amount), location=location_id, reason=reason),
        perform=lambda: {
            "entry_id": _refund_principal(
                actor=actor, member_id=member_id, amount=amount, reason=reason, location_id=location_id
            ).pk
        },
    )
    return WalletEntry.objects.get(pk=result["entry_id"])


def _refund_principal(
    *, actor: Actor, member_id: int, amount: Decimal, reason: str, location_id: int | None
) -> WalletEntry:
    wallet = _wallet_of(member_id)
    if wallet is None:
        raise DomainError(ErrorCode.INSUFFICIENT_BALANCE, "the wallet holds less principal", principal="0.00")
    for _attempt in range(SPEND_ATTEMPTS):
        _refuse_frozen(wallet)
        if wallet.principal < amount:
            raise DomainError(
                ErrorCode.INSUFFICIENT_BALANCE, "the wallet holds less principal", principal=str(wallet.principal)
            )
        forfeit = min(wallet.bonus, to_money(wallet.bonus * amount / wallet.principal))
        if Wallet.objects.filter(
            pk=wallet.pk, frozen_at__isnull=True, principal=wallet.principal, bonus=wallet.bonus
        ).update(principal=F("principal") - amount, bonus=F("bonus") - forfeit):
            return WalletEntry.objects.create(
                wallet=wallet,
                kind=EntryKind.PRINCIPAL_REFUND,
                principal_delta=-amount,
                bonus_delta=-forfeit,
                reference=f"principal_refund:{secrets.token_hex(8)}",
                location_id=location_id,
                actor_id=actor.user_id,
                note=reason,
            )
        wallet.refresh_from_db(fields=["principal", "bonus", "frozen_at"])
    raise DomainError(ErrorCode.CONFLICT, "the wallet is busy; try again")


@transaction.atomic(durable=True)
def save_top_up_tier(
    *,
    actor: Actor,
    pay_amount: object,
    bonus_amount: object,
    valid_from=None,
    valid_until=None,
    tier_id: int | None = None,
) -> TopUpTier:
    """Create a tier, or change one (a change applies to top-ups started from now on)."""
    authorize(actor, Operation.MANAGE_TOP_UP_TIERS)
    pay = valid_amount(pay_amount, field="pay_amount", maximum=max_top_up())
    bonus = valid_amount(bonus_amount, field="bonus_amount", allow_zero=True)
    if bonus > pay:
        raise DomainError(ErrorCode.INVALID, "the bonus cannot exceed the amount paid", field="bonus_amount")
    if valid_from and valid_until and valid_until <= valid_from:
        raise DomainError(ErrorCode.INVALID, "the window ends before it starts", field="valid_until")
    fields = {"pay_amount": pay, "bonus_amount": bonus, "valid_from": valid_from, "valid_until": valid_until}
    clash = TopUpTier.objects.filter(active=True, pay_amount=pay).exclude(pk=tier_id)
    if clash.exists():
        raise DomainError(ErrorCode.CONFLICT, "an active tier for this amount exists", field="pay_amount")
    if tier_id is None:
        return TopUpTier.objects.create(**fields)
    if not TopUpTier.objects.filter(pk=tier_id).update(**fields):
        raise not_found("tier")
    return TopUpTier.objects.get(pk=tier_id)


@transaction.atomic(durable=True)
def set_top_up_tier_active(*, actor: Actor, tier_id: int, active: bool) -> TopUpTier:
    authorize(actor, Operation.MANAGE_TOP_UP_TIERS)
    tier = TopUpTier.objects.filter(pk=tier_id).first()
    if tier is None:
        raise not_found("tier")
    if active and TopUpTier.objects.filter(active=True, pay_amount=tier.pay_amount).exclude(pk=tier_id).exists():
        raise DomainError(ErrorCode.CONFLICT, "an active tier for this amount exists")
    TopUpTier.objects.filter(pk=tier_id).update(active=active)
    tier.active = active
    return tier


def fail_stale_top_ups(*, now=None) -> int:
    """Online top-ups still pending O2O_TOP_UP_PENDING_HOURS after they started are failed (the
    member walked away from the gateway). One conditional UPDATE; nothing was credited, and a
    success callback arriving later still credits the money (a failed top-up without a gateway
    transaction stays creditable). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.O2O_TOP_UP_PENDING_HOURS)
    return TopUp.objects.filter(state=TopUp.State.PENDING, method=TopUpMethod.ONLINE_QR, created_at__lt=cutoff).update(
        state=TopUp.State.FAILED
    )
