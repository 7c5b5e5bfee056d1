"""Two workers telling the same state change at the same moment send one message (PostgreSQL)."""

import pytest
from django.db import transaction

from o2o.core.models import OutboxMessage
from o2o.notifications import services
from o2o.notifications.models import Kind, Notification, NotificationMessage
from o2o.orders.models import Order
from o2o.testing.journeys import place_pickup_order
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]


@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_replaying_one_event_send_once(store, member, sku, attempt):
    order = place_pickup_order(member=member, store=store, sku=sku)

    def tell():
        with transaction.atomic():
            return services.notify_order(order=Order.objects.get(pk=order.pk), kind=Kind.DELIVERED)

    outcomes = run_together([tell] * 4)

    assert [o.error for o in outcomes] == [None] * 4
    assert sum(o.value is not None for o in outcomes) == 1
    assert Notification.objects.filter(order=order, kind=Kind.DELIVERED).count() == 1
    assert NotificationMessage.objects.count() == 1
    assert OutboxMessage.objects.filter(recipient=member.phone).count() == 1
