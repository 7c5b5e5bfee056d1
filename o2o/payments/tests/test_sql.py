"""The gateway callback's one read (payments.sql.lock_order_paid_by) gives the order with what every
reaction reads, as select_related would, on SQLite and PostgreSQL alike."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.members.models import MemberLevel
from o2o.notifications.models import NotificationPreference
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.orders.sql import lines_with_categories
from o2o.payments.models import Payment
from o2o.payments.services import start_online_payment
from o2o.payments.sql import lock_order_paid_by
from o2o.testing.journeys import place_pickup_order, stocked_sku
from o2o.testing.rows import fields_of

pytestmark = pytest.mark.django_db


def _awaiting_gateway(member, store) -> Payment:
    order = place_pickup_order(member=member, store=store, sku=stocked_sku(store))
    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    return payment


def test_the_order_comes_with_member_level_preference_and_store_and_reads_nothing_more(
    member, store, django_assert_num_queries
):
    member.level = MemberLevel.objects.create(
        code="gold", name="Gold", rank=2, min_growth=1000, points_multiplier=Decimal("1.50")
    )
    member.save(update_fields=["level"])
    NotificationPreference.objects.create(member=member, wechat=True, language="en")
    payment = _awaiting_gateway(member, store)

    order = lock_order_paid_by(payment.gateway, payment.gateway_ref)

    with django_assert_num_queries(0):
        assert fields_of(order) == fields_of(payment.order)
        assert fields_of(order.member) == fields_of(member) and fields_of(order.fulfilment_location) == fields_of(store)
        assert order.member.level.points_multiplier == Decimal("1.50")
        preference = order.member.notification_preference
        assert (preference.wechat, preference.language) == (True, "en") and preference.member is order.member


def test_a_member_without_preference_or_level_reads_as_none_without_a_second_look(
    member, store, django_assert_num_queries
):
    payment = _awaiting_gateway(member, store)

    order = lock_order_paid_by(payment.gateway, payment.gateway_ref)

    with django_assert_num_queries(0):
        assert order.member.level is None
        with pytest.raises(NotificationPreference.DoesNotExist):
            order.member.notification_preference  # noqa: B018 (cached as missing, as select_related does)


def test_an_unknown_gateway_reference_finds_no_order(member, store):
    payment = _awaiting_gateway(member, store)

    assert lock_order_paid_by(payment.gateway, "no-such-ref") is None
    assert lock_order_paid_by("another-gateway", payment.gateway_ref) is None


def test_the_order_comes_with_its_lines_as_the_payments_reactions_read_them(member, store, django_assert_num_queries):
    one, other = stocked_sku(store), stocked_sku(store)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(one.pk, 2), LineRequest(other.pk, 1)])  # fmt: skip
    placed = place_order(actor=actor_for_member(member), member=member, request=request)
    payment, _url = start_online_payment(actor=SYSTEM, order=placed)
    expected = lines_with_categories(placed)

    order = lock_order_paid_by(payment.gateway, payment.gateway_ref)

    with django_assert_num_queries(0):
        read = list(order.lines.all())
        assert [fields_of(line) for line in read] == [fields_of(line) for line in expected]
        assert [(line.sku_category_id, line.sku_parent_category_id) for line in read] == [
            (line.sku_category_id, line.sku_parent_category_id) for line in expected
        ]
        assert all(line.order is order for line in read) and len(read) == 2
