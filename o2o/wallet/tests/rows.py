"""One row of every wallet table, made through the services (for screens that must show data)."""

from decimal import Decimal

from django.db import transaction

from o2o.access.actors import actor_for_member, actor_for_user
from o2o.payments.topups import start_online_top_up
from o2o.wallet import services
from o2o.wallet.models import TopUpTier


def wallet_rows(*, member, clerk) -> dict[str, str]:
    """A tier; a counter top-up with its bonus, partly spent and refunded; a pending online top-up;
    a payment code. Returns the secrets made (the code, the online top-up's gateway reference)."""
    TopUpTier.objects.create(pay_amount=Decimal("100.00"), bonus_amount=Decimal("5.00"))
    services.top_up_at_counter(actor=actor_for_user(clerk.user), location_id=clerk.home_location_id,
                               member_id=member.pk, amount="100.00", method="cash")  # fmt: skip
    with transaction.atomic():
        services.spend(member_id=member.pk, amount=Decimal("10.00"), reference="rows", actor_id=None)
        services.refund_spend(spend_reference="rows", amount=Decimal("1.00"), refund_reference="rows", actor_id=None)
    pending, _url = start_online_top_up(actor=actor_for_member(member), amount="50.00")
    code, _row = services.issue_payment_code(actor=actor_for_member(member))
    return {"payment code": code, "top-up pay link reference": pending.gateway_ref}
