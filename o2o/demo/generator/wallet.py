"""Demo stored value: the top-up tiers, and wallets for some members (the demo member first) topped
up at their store's counter or online, some of it already spent. Written through the wallet's own
services (inside the demo's transaction), so balances, ledger and top-ups agree (`o2o audit`)."""

from decimal import Decimal

from o2o.demo.generator.base import Run
from o2o.demo.generator.people import DEMO_MEMBER_PHONE
from o2o.members.models import Member
from o2o.staff.models import Employee, Role
from o2o.wallet.models import TopUpMethod, TopUpTier
from o2o.wallet.services import credit_top_up, new_top_up, spend

TIERS = [("100.00", "5.00"), ("300.00", "20.00"), ("500.00", "50.00"), ("1000.00", "150.00")]
AMOUNTS = [Decimal(v) for v in ("50.00", "100.00", "200.00", "300.00", "500.00", "1000.00")]
SHARE = 0.05  # of the members get a wallet
MAX_WALLETS = 300
METHODS = [TopUpMethod.CASH, TopUpMethod.CARD, TopUpMethod.STORE_QR, TopUpMethod.ONLINE_QR]


def create_wallets(run: Run) -> int:
    for pay, bonus in TIERS:
        TopUpTier.objects.create(pay_amount=Decimal(pay), bonus_amount=Decimal(bonus))
    clerks = dict(
        Employee.objects.filter(role__in=[Role.CLERK, Role.STORE_MANAGER], is_active=True)
        .exclude(home_location=None)
        .values_list("home_location_id", "user_id")
    )
    rng = run.rng("wallet")
    count = max(1, min(MAX_WALLETS, int(Member.objects.count() * SHARE)))
    members = list(Member.objects.filter(acquiring_location_id__in=clerks).order_by("pk")[: count * 4])
    chosen = rng.sample(members, min(count, len(members)))
    demo = Member.objects.filter(phone=DEMO_MEMBER_PHONE).first()
    if demo is not None and demo not in chosen:
        chosen.insert(0, demo)
    for n, member in enumerate(chosen):
        method = TopUpMethod.CASH if member == demo else rng.choice(METHODS)
        amount = Decimal("500.00") if member == demo else rng.choice(AMOUNTS)
        _top_up(member, amount, method, clerks, ref=f"DEMO{n:06d}")
        if member != demo and rng.random() < 0.6:
            spent = (amount * Decimal(rng.randint(5, 80)) / 100).quantize(Decimal("0.01"))
            spend(member_id=member.pk, amount=spent, reference=f"demo:{n}", actor_id=None)
    run.say(f"wallet: {len(TIERS)} top-up tiers, {len(chosen)} wallets")
    return len(chosen)


def _top_up(member: Member, amount: Decimal, method: TopUpMethod, clerks: dict[int, int], *, ref: str) -> None:
    if method == TopUpMethod.ONLINE_QR:
        top_up = new_top_up(member=member, amount=amount, method=method, gateway="simulated", gateway_ref=ref)
        credit_top_up(top_up_id=top_up.pk, gateway_txn_id=f"SIM{ref}")
        return
    location_id = member.acquiring_location_id
    top_up = new_top_up(
        member=member, amount=amount, method=method, location_id=location_id, received_by_id=clerks[location_id]
    )
    credit_top_up(top_up_id=top_up.pk)
