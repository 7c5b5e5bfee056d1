"""Storefront pages of group buys and chain sign-ups, driven with Django's client."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.groupbuy import chains, services
from o2o.groupbuy.models import ChainEntry, Group
from o2o.orders.models import Order
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db


def _signed_in(member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def test_a_friend_joins_from_the_share_page_and_goes_on_to_pay(offer, store, member):
    leader = MemberFactory(name="王小芳")
    group, _order = services.open_group(actor=actor_for_member(leader), offer_id=offer.pk, location_id=store.pk)
    client = _signed_in(member)

    page = client.get(reverse("web:shop-group", args=[group.pk]))
    joined = client.post(reverse("web:shop-group-join", args=[group.pk]), {"location_id": store.pk, "token": "t1"})

    assert page.status_code == 200
    assert "王*" in page.content.decode() and leader.phone not in page.content.decode()
    order = Order.objects.get(member=member)
    assert joined.status_code == 302 and joined["Location"] == reverse("web:shop-pay", args=[order.pk])
    assert (order.total, order.on_hold, Group.objects.get(pk=group.pk).member_count) == (Decimal("6.00"), True, 2)


def test_joining_a_full_group_from_the_page_is_a_message_not_an_order(offer, store, member):
    group, _order = services.open_group(
        actor=actor_for_member(MemberFactory()), offer_id=offer.pk, location_id=store.pk
    )
    for other in MemberFactory.create_batch(2):
        services.join_group(actor=actor_for_member(other), group_id=group.pk, location_id=store.pk)

    response = _signed_in(member).post(
        reverse("web:shop-group-join", args=[group.pk]), {"location_id": store.pk, "token": "t2"}, follow=True
    )

    assert "该团已满" in response.content.decode()
    assert not Order.objects.filter(member=member).exists()


def test_a_customer_signs_up_on_the_chain_page_and_sees_the_numbered_list(store, member):
    sku = SKUFactory(price=Decimal("12.00"))
    chain = chains.publish_chain(actor=SYSTEM, location_id=store.pk, title="周末水果接龙",
                                 cutoff_at=timezone.now() + timedelta(hours=3),
                                 items=[chains.ItemIn(sku.pk, Decimal("9.90"), 3)])  # fmt: skip
    item = chain.items.get()
    member.name = "李雷"
    member.save(update_fields=["name"])
    client = _signed_in(member)

    signed = client.post(reverse("web:shop-chain-sign-up", args=[chain.pk]), {f"item-{item.pk}": "2"}, follow=True)
    too_many = client.post(reverse("web:shop-chain-sign-up", args=[chain.pk]), {f"item-{item.pk}": "9"}, follow=True)

    assert signed.status_code == 200
    assert "李*" in signed.content.decode()
    assert "接龙未成功" in too_many.content.decode()
    assert list(ChainEntry.objects.get(member=member).lines.values_list("quantity", flat=True)) == [2]


def test_a_store_manager_publishes_a_list_and_closes_it_from_the_manager_pages(store):
    from o2o.inventory.services import receive_stock
    from o2o.staff.models import Role
    from o2o.testing.factories import EmployeeFactory

    sku = SKUFactory(price=Decimal("12.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    client = Client()
    client.force_login(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user)
    cutoff = timezone.localtime(timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    published = client.post(
        reverse("web:manager-chains"), {"title": "鸡蛋接龙", "cutoff_at": cutoff, "items": f"{sku.pk}, 9.50, 2"}
    )
    chain = chains.ChainList.objects.get()
    member = MemberFactory()
    chains.sign_up(actor=actor_for_member(member), chain_id=chain.pk, quantities={chain.items.get().pk: 2})
    closed = client.post(reverse("web:manager-chain-close", args=[chain.pk]), follow=True)

    assert published.status_code == 302, published.content
    assert (chain.location_id, chain.items.get().price) == (store.pk, Decimal("9.50"))
    assert closed.status_code == 200
    assert Order.objects.get(member=member).total == Decimal("19.00")
    assert 'data-state="placed"' in closed.content.decode()


def test_a_marketer_creates_a_group_buy_and_sees_its_group_counts(offer, store, sku):
    from o2o.staff.models import Role
    from o2o.testing.factories import EmployeeFactory

    services.open_group(actor=actor_for_member(MemberFactory()), offer_id=offer.pk, location_id=store.pk)
    client = Client()
    client.force_login(EmployeeFactory(role=Role.MARKETER, home_location=None).user)
    now = timezone.localtime()
    body = {"name": "双人团", "sku_id": sku.pk, "group_price": "8.00", "group_size": 2, "time_limit_hours": 12,
            "per_member_limit": 1, "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "location_ids": str(store.pk)}  # fmt: skip

    created = client.post(reverse("web:marketing-group-buys"), body)
    page = client.get(reverse("web:marketing-group-buys")).content.decode()

    assert created.status_code == 302, created.content
    assert "双人团" in page
    assert f'data-offer="{offer.pk}"' in page and '<td class="num open">1</td>' in page
