"""The periodic job schedules one visit per handed-over order once its policy's delay passed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.aftercare.models import FollowUpPolicy, FollowUpVisit
from o2o.aftercare.services import schedule_order_visits
from o2o.aftercare.tests.helpers import counter_sale, days_later, picked_up_order, visits_due
from o2o.members.models import Member
from o2o.testing.factories import CategoryFactory, EmployeeFactory, ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db


def test_a_picked_up_order_gets_one_message_visit_three_days_after_the_hand_over(member, store):
    order = picked_up_order(member=member, store=store, sku=SKUFactory())

    assert visits_due(days=4) == 1
    assert visits_due(days=4) == 0  # a rerun writes nothing twice

    visit = FollowUpVisit.objects.get()
    assert (visit.order_id, visit.member_id, visit.location_id) == (order.pk, member.pk, store.pk)
    assert (visit.channel, visit.state, visit.attempts) == ("message", "open", 0)
    assert visit.due_on == timezone.localdate() + timedelta(days=3)


def test_a_missing_default_policy_is_put_back(member, store):
    FollowUpPolicy.objects.all().delete()  # as a transactional test's flush leaves the table
    picked_up_order(member=member, store=store, sku=SKUFactory())

    assert visits_due(days=4) == 1
    assert FollowUpPolicy.objects.get().delay_days == 3


def test_before_the_delay_nothing_is_scheduled(member, store):
    picked_up_order(member=member, store=store, sku=SKUFactory())

    assert visits_due(days=2.9) == 0
    assert FollowUpVisit.objects.count() == 0


def test_the_most_specific_category_policy_wins(member, store):
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    FollowUpPolicy.objects.create(category=parent, delay_days=7, channel="phone")
    picked_up_order(member=member, store=store, sku=SKUFactory(product=ProductFactory(category=child)))

    assert visits_due(days=4) == 0  # the default's 3 days do not apply: the parent's 7 do
    assert visits_due(days=7.1) == 1
    assert FollowUpVisit.objects.get().channel == "phone"


def test_an_inactive_category_policy_means_no_visit(member, store):
    category = CategoryFactory()
    FollowUpPolicy.objects.create(category=category, delay_days=1, channel="phone", active=False)
    picked_up_order(member=member, store=store, sku=SKUFactory(product=ProductFactory(category=category)))

    assert visits_due(days=10) == 0


def test_an_in_store_sale_is_visited_and_credits_the_cashier_store(member, store):
    clerk = EmployeeFactory(home_location=store)
    order = counter_sale(member=member, clerk=clerk, sku=SKUFactory())

    assert visits_due(days=3.1) == 1
    assert FollowUpVisit.objects.get().order_id == order.pk
    assert FollowUpVisit.objects.get().location_id == store.pk


def test_no_visit_without_a_member_or_for_a_deleted_account(member, store):
    clerk = EmployeeFactory(home_location=store)
    counter_sale(member=None, clerk=clerk, sku=SKUFactory())
    picked_up_order(member=member, store=store, sku=SKUFactory())
    Member.objects.filter(pk=member.pk).update(anonymised_at=timezone.now())

    assert visits_due(days=5) == 0
    assert FollowUpVisit.objects.count() == 0


def test_orders_older_than_the_look_back_are_never_visited(member, store, settings):
    settings.O2O_FOLLOWUP_LOOKBACK_DAYS = 10
    picked_up_order(member=member, store=store, sku=SKUFactory())

    assert visits_due(days=14) == 0


def test_an_unpaid_or_not_handed_over_order_is_not_visited(member, store):
    from o2o.inventory.services import receive_stock
    from o2o.testing.journeys import paid_pickup_order

    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    paid_pickup_order(member=member, store=store, sku=sku)  # ready for pickup, not picked up

    assert schedule_order_visits(now=days_later(5)) == 0
