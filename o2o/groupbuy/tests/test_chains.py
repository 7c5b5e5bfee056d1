"""Chain sign-ups (接龙) through the API: publish, sign up, change, cut-off places orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.groupbuy import chains
from o2o.groupbuy.models import ChainEntry, ChainList, EntryState
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def apples():
    return SKUFactory(price=Decimal("12.00"))


@pytest.fixture
def eggs():
    return SKUFactory(price=Decimal("20.00"))


def _publish(manager, store, apples, eggs, **changes):
    body = {
        "location_id": store.pk,
        "title": "周末水果接龙",
        "cutoff_at": (timezone.now() + timedelta(hours=5)).isoformat(),
        "items": [{"sku_id": apples.pk, "price": "9.90", "max_per_person": 3}, {"sku_id": eggs.pk}],
    } | changes
    return as_staff(manager).post("chains", body)


@pytest.fixture
def chain(manager, store, apples, eggs):
    response = _publish(manager, store, apples, eggs)
    assert response.status_code == 201, response.content
    return response.json()


def _items(chain) -> tuple[int, int]:
    return chain["items"][0]["id"], chain["items"][1]["id"]


def _sign_up(member, chain, lines):
    return as_member(member).post(f"chains/{chain['id']}/entries", {"lines": lines})


def _reserved(store, sku) -> int:
    return StockLevel.objects.get(location=store, sku=sku).reserved


def test_a_store_manager_publishes_a_list_at_chain_and_list_prices(chain, store, eggs):
    assert [(i["sku_id"], i["price"], i["max_per_person"]) for i in chain["items"]][1] == (eggs.pk, "20.00", None)
    assert chain["items"][0]["price"] == "9.90"
    assert (chain["state"], chain["location_id"], chain["entries"]) == ("open", store.pk, [])


def test_a_manager_cannot_publish_for_another_store_nor_above_the_list_price(manager, other_store, store, apples, eggs):
    elsewhere = _publish(manager, other_store, apples, eggs)
    dearer = _publish(manager, store, apples, eggs, items=[{"sku_id": apples.pk, "price": "12.01"}])

    assert elsewhere.status_code in (403, 404)
    assert (dearer.status_code, problem_code(dearer)) == (422, "invalid")
    assert not ChainList.objects.exists()


def test_entries_are_numbered_with_masked_names_and_can_be_changed_and_cancelled(chain):
    first, second = MemberFactory(name="李雷"), MemberFactory(name="韩梅梅")
    apples_id, eggs_id = _items(chain)

    assert _sign_up(first, chain, [{"item_id": apples_id, "quantity": 2}]).status_code == 200
    assert _sign_up(second, chain, [{"item_id": eggs_id, "quantity": 1}]).status_code == 200
    changed = _sign_up(first, chain, [{"item_id": apples_id, "quantity": 3}, {"item_id": eggs_id, "quantity": 1}])

    assert changed.status_code == 200, changed.content
    listed = ApiClient().get(f"chains/{chain['id']}").json()["entries"]
    assert [(e["number"], e["name"], [(x["item_id"], x["quantity"]) for x in e["lines"]]) for e in listed] == [
        (1, "李*", [(apples_id, 3), (eggs_id, 1)]),
        (2, "韩*", [(eggs_id, 1)]),
    ]
    assert as_member(first).post(f"chains/{chain['id']}/entries/cancel").status_code == 200
    assert [e["name"] for e in ApiClient().get(f"chains/{chain['id']}").json()["entries"]] == ["韩*"]


def test_more_than_the_most_per_person_is_refused(chain, member):
    apples_id, _eggs = _items(chain)

    response = _sign_up(member, chain, [{"item_id": apples_id, "quantity": 4}])

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not ChainEntry.objects.exists()


def test_the_cut_off_places_each_entry_as_an_order_with_stock_reserved_and_closing_twice_places_once(
    chain, manager, store, apples, eggs
):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=apples.pk, quantity=10)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=eggs.pk, quantity=10)
    first, second = MemberFactory(), MemberFactory()
    apples_id, eggs_id = _items(chain)
    _sign_up(first, chain, [{"item_id": apples_id, "quantity": 2}, {"item_id": eggs_id, "quantity": 1}])
    _sign_up(second, chain, [{"item_id": eggs_id, "quantity": 3}])

    closed = as_staff(manager).post(f"chains/{chain['id']}/close")
    again = as_staff(manager).post(f"chains/{chain['id']}/close")

    assert (closed.status_code, again.status_code) == (200, 200)
    assert closed.json()["state"] == "closed"
    mine = Order.objects.get(member=first)
    assert (mine.subtotal, mine.discount_total, mine.total) == (Decimal("44.00"), Decimal("4.20"), Decimal("39.80"))
    assert (mine.fulfilment, mine.fulfilment_location_id, mine.channel) == ("pickup", store.pk, "app")
    assert Order.objects.get(member=second).total == Decimal("60.00")
    assert Order.objects.count() == 2
    assert (_reserved(store, apples), _reserved(store, eggs)) == (2, 4)
    assert set(ChainEntry.objects.values_list("state", flat=True)) == {EntryState.PLACED}
    # then the normal path: paid online, a pickup voucher
    pay_online(mine)
    assert PickupVoucher.objects.filter(order=mine).exists()
    # a sign-up after the cut-off is refused
    late = _sign_up(MemberFactory(), chain, [{"item_id": eggs_id, "quantity": 1}])
    assert (late.status_code, problem_code(late)) == (409, "chain_closed")


def test_an_entry_short_of_stock_is_marked_and_no_half_order_is_placed(chain, manager, store, apples, eggs):
    store.online_safety_buffer = 0
    store.save(update_fields=["online_safety_buffer"])
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=apples.pk, quantity=10)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=eggs.pk, quantity=2)
    first, second = MemberFactory(), MemberFactory()
    apples_id, eggs_id = _items(chain)
    _sign_up(first, chain, [{"item_id": apples_id, "quantity": 1}, {"item_id": eggs_id, "quantity": 3}])
    _sign_up(second, chain, [{"item_id": eggs_id, "quantity": 2}])

    as_staff(manager).post(f"chains/{chain['id']}/close")

    short = ChainEntry.objects.get(member=first)
    assert (short.state, short.order_id) == (EntryState.UNSERVED, None)
    assert short.reason
    assert not Order.objects.filter(member=first).exists()
    assert Order.objects.get(member=second).total == Decimal("40.00")
    assert (_reserved(store, apples), _reserved(store, eggs)) == (0, 2)
    entries = as_staff(manager).get(f"chains/{chain['id']}/entries").json()
    assert [(e["number"], e["state"]) for e in entries] == [(1, "unserved"), (2, "placed")]


def test_the_periodic_job_closes_lists_past_their_cut_off(chain, store, apples):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=apples.pk, quantity=10)
    member = MemberFactory()
    _sign_up(member, chain, [{"item_id": _items(chain)[0], "quantity": 1}])
    ChainList.objects.filter(pk=chain["id"]).update(cutoff_at=timezone.now() - timedelta(seconds=1))

    assert chains.close_due_chains() == 1
    assert chains.close_due_chains() == 0

    assert Order.objects.get(member=member).total == Decimal("9.90")


def test_chain_prices_are_not_had_through_a_plain_order(chain, store, apples, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=apples.pk, quantity=10)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": apples.pk, "quantity": 1}], "offer": f"chain:{chain['id']}"}  # fmt: skip

    response = as_member(member).post("orders", body)

    assert (response.status_code, problem_code(response)) == (409, "chain_closed")
    assert not Order.objects.exists()
