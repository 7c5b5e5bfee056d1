"""Orders handed over, and the clock moved on, for the follow-up tests."""

import re
from datetime import timedelta

from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.aftercare.models import FollowUpPolicy
from o2o.aftercare.services import schedule_order_visits, send_due_survey_links
from o2o.core.models import OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.payments.services import take_in_store_payment
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.staff.models import Team
from o2o.testing.factories import EmployeeFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale
from o2o.testing.outbox import texts_to


def days_later(days: float):
    return timezone.now() + timedelta(days=days)


def picked_up_order(*, member, store, sku, clerk=None):
    """A pickup order paid online and handed over at the store's counter (now)."""
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = paid_pickup_order(member=member, store=store, sku=sku)
    clerk = clerk or EmployeeFactory(home_location=store)
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=PickupVoucher.objects.get(order=order).code)
    order.refresh_from_db()
    return order


def counter_sale(*, member, clerk, sku):
    """An in-store sale rung up and paid in cash by the clerk: handed over at once."""
    receive_stock(actor=SYSTEM, location_id=clerk.home_location_id, sku_id=sku.pk, quantity=5)
    order = place_counter_sale(clerk=clerk, sku=sku, member=member)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    order.refresh_from_db()
    return order


def store_team(store):
    return Team.objects.create(name=f"{store.name}团队", kind=Team.Kind.STORE, location=store)


def visits_due(days: float = 4) -> int:
    return schedule_order_visits(now=days_later(days))


def survey_token(member, *, days: float = 4) -> str:
    """Send the due survey links and read the link the member's phone got."""
    send_due_survey_links(now=days_later(days))
    waiting = OutboxMessage.objects.filter(recipient=member.phone).exclude(secret="").order_by("pk").last()
    text = waiting.text() if waiting is not None else texts_to(member.phone)[-1]  # delivered: the secret is wiped
    return re.search(r"/shop/survey/([A-Za-z0-9_-]+)/", text).group(1)


def default_policy(*, channel: str = "message", delay_days: int = 3) -> None:
    """The seeded default (transactional tests flush the migration's row)."""
    FollowUpPolicy.objects.update_or_create(category=None, defaults={"channel": channel, "delay_days": delay_days})
