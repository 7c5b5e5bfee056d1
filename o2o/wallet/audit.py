"""Audit checks on stored value, for `o2o audit`: every wallet's principal and bonus against the
sum of its ledger; every succeeded top-up against its ledger entries (and no credit without a
succeeded top-up); every spend's refunded counters against its refund entries. Findings, not
exceptions: the command prints them and fails when there are any."""


from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from o2o.core.findings import Finding
from o2o.wallet.models import EntryKind, TopUp, Wallet, WalletEntry

LIMIT = 1000  # findings per check: enough to act on, bounded on a broken database

_MONEY = DecimalField(max_digits=12, decimal_places=2)
_ZERO = Value(0, output_field=_MONEY)



def _ledger_sum(field: str):
    entries = WalletEntry.objects.filter(wallet=OuterRef("pk")).order_by().values("wallet")
    return Coalesce(Subquery(entries.annotate(total=Sum(field)).values("total")[:1], output_field=_MONEY), _ZERO)


def wallets_against_ledger() -> list[Finding]:
    rows = (
        Wallet.objects.annotate(
            ledger_principal=_ledger_sum("principal_delta"), ledger_bonus=_ledger_sum("bonus_delta")
        )
        .filter(~Q(principal=F("ledger_principal")) | ~Q(bonus=F("ledger_bonus")))
        .values_list("pk", "member_id", "principal", "bonus", "ledger_principal", "ledger_bonus")[:LIMIT]
    )
    return [
        Finding(
            "wallet_ledger",
            f"wallet {pk} (member {member_id})",
            f"principal {principal} bonus {bonus}, ledger principal {ledger_p} bonus {ledger_b}",
        )
        for pk, member_id, principal, bonus, ledger_p, ledger_b in rows
    ]


def _credited(field: str, kind: EntryKind):
    entries = WalletEntry.objects.filter(top_up=OuterRef("pk"), kind=kind).order_by().values("top_up")
    return Coalesce(Subquery(entries.annotate(total=Sum(field)).values("total")[:1], output_field=_MONEY), _ZERO)


def top_ups_against_entries() -> list[Finding]:
    """A succeeded top-up credited exactly its amount (principal) and its bonus, once each; a
    top-up that did not succeed credited nothing."""
    rows = (
        TopUp.objects.annotate(
            principal=_credited("principal_delta", EntryKind.TOP_UP),
            given=_credited("bonus_delta", EntryKind.TOP_UP_BONUS),
        )
        .filter(
            Q(state=TopUp.State.SUCCEEDED) & (~Q(principal=F("amount")) | ~Q(given=F("bonus")))
            | ~Q(state=TopUp.State.SUCCEEDED) & Exists(WalletEntry.objects.filter(top_up=OuterRef("pk")))
        )
        .values_list("pk", "state", "amount", "bonus", "principal", "given")[:LIMIT]
    )
    return [
        Finding("top_up_entries", f"top-up {pk}", f"{state}: paid {amount} bonus {bonus}, credited {got} bonus {given}")
        for pk, state, amount, bonus, got, given in rows
    ]


def spends_against_refunds() -> list[Finding]:
    refunds = WalletEntry.objects.filter(refund_of=OuterRef("pk")).order_by().values("refund_of")

    def refunded(field: str):
        return Coalesce(Subquery(refunds.annotate(t=Sum(field)).values("t")[:1], output_field=_MONEY), _ZERO)

    rows = (
        WalletEntry.objects.filter(kind=EntryKind.SPEND)
        .filter(Exists(refunds) | ~Q(refunded_principal=0) | ~Q(refunded_bonus=0))
        .annotate(back_principal=refunded("principal_delta"), back_bonus=refunded("bonus_delta"))
        .filter(~Q(refunded_principal=F("back_principal")) | ~Q(refunded_bonus=F("back_bonus")))
        .values_list("pk", "reference", "refunded_principal", "refunded_bonus", "back_principal", "back_bonus")[:LIMIT]
    )
    return [
        Finding("spend_refunds", f"spend {pk} ({ref})", f"counted {rp}+{rb}, refund entries {bp}+{bb}")
        for pk, ref, rp, rb, bp, bb in rows
    ]


def run() -> list[Finding]:
    return [*wallets_against_ledger(), *top_ups_against_entries(), *spends_against_refunds()]


def problems() -> list[str]:
    return [str(finding) for finding in run()]
