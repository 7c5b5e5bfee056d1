"""Group-buy races on PostgreSQL: seats are taken by one conditional UPDATE each."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import actor_for_member
from o2o.core.errors import ErrorCode
from o2o.groupbuy import services
from o2o.groupbuy.models import Group, GroupMember, GroupState
from o2o.inventory.models import StockLevel
from o2o.orders.models import Order
from o2o.payments.models import Refund
from o2o.testing.factories import MemberFactory
from o2o.testing.journeys import pay_online
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]
SIZE = 3
RACERS = SIZE + 5


def test_n_plus_five_racing_joiners_of_a_group_of_n_take_exactly_n_seats(offer, store, sku):
    group, _order = services.open_group(
        actor=actor_for_member(MemberFactory()), offer_id=offer.pk, location_id=store.pk
    )
    joiners = MemberFactory.create_batch(RACERS)

    outcomes = run_together(
        [
            lambda m=m: services.join_group(actor=actor_for_member(m), group_id=group.pk, location_id=store.pk)
            for m in joiners
        ]
    )

    assert len(values(outcomes)) == SIZE - 1
    assert Counter(e.code for e in domain_errors(outcomes)) == {ErrorCode.GROUP_FULL: RACERS - SIZE + 1}
    group.refresh_from_db()
    assert group.member_count == SIZE
    assert GroupMember.objects.filter(group=group).count() == SIZE
    assert Order.objects.count() == SIZE
    assert StockLevel.objects.get(location=store, sku=sku).reserved == SIZE


def test_two_fail_jobs_racing_refund_each_paid_order_once(offer, store, sku):
    members = MemberFactory.create_batch(2)
    group, first = services.open_group(actor=actor_for_member(members[0]), offer_id=offer.pk, location_id=store.pk)
    _group, second = services.join_group(actor=actor_for_member(members[1]), group_id=group.pk, location_id=store.pk)
    pay_online(first)
    pay_online(second)
    Group.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    outcomes = run_together([services.close_groups, services.close_groups])

    assert domain_errors(outcomes) == []
    assert sum(v["settled"] for v in values(outcomes)) == 2
    assert Group.objects.get(pk=group.pk).state == GroupState.FAILED
    assert Refund.objects.filter(payment__order__in=[first, second]).count() == 2
    assert set(Order.objects.values_list("state", flat=True)) == {"refunded"}
    assert StockLevel.objects.get(location=store, sku=sku).reserved == 0
