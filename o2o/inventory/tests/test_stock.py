from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from o2o.access.actors import SYSTEM
from o2o.core.errors import DomainError
from o2o.inventory.models import StockLevel, StockMove
from o2o.inventory.selectors import audit_stock, available_to_promise
from o2o.inventory.services import adjust_stock, receive_stock, receive_transfer, record_count, send_transfer
from o2o.stores.models import Location
from o2o.testing.factories import LocationFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale, place_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku():
    return SKUFactory()


def level(location, sku) -> tuple[int, int]:
    row = StockLevel.objects.get(location=location, sku=sku)
    return row.on_hand, row.reserved


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_online_orders_keep_the_safety_buffer_but_the_counter_may_sell_it(store, clerk, member, sku, settings):
    settings.O2O_ONLINE_SAFETY_BUFFER = 2
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)

    online = error_of(lambda: place_pickup_order(member=member, store=store, sku=sku, quantity=4))
    place_pickup_order(member=member, store=store, sku=sku, quantity=3)
    place_counter_sale(clerk=clerk, sku=sku, quantity=2)

    assert online.code == "insufficient_stock"
    assert level(store, sku) == (5, 5)


def test_a_store_can_refuse_online_reservations_of_its_stock(member, sku):
    franchise = LocationFactory(ownership=Location.Ownership.FRANCHISE, online_orders_reserve_stock=False)
    receive_stock(location_id=franchise.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)

    error = error_of(lambda: place_pickup_order(member=member, store=franchise, sku=sku))

    assert error.code == "location_unavailable"
    assert available_to_promise(locations=[franchise], sku_ids={sku.pk}, online=True) == {(franchise.pk, sku.pk): 0}
    assert available_to_promise(locations=[franchise], sku_ids={sku.pk}, online=False) == {(franchise.pk, sku.pk): 50}


def test_an_adjustment_needs_a_reason_and_cannot_eat_reserved_units(store, clerk, sku):
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    place_counter_sale(clerk=clerk, sku=sku, quantity=3)

    no_reason = error_of(lambda: adjust_stock(location_id=store.pk, sku_id=sku.pk, delta=-1, actor=SYSTEM, reason=" "))
    too_much = error_of(
        lambda: adjust_stock(location_id=store.pk, sku_id=sku.pk, delta=-3, actor=SYSTEM, reason="broken")
    )
    adjust_stock(location_id=store.pk, sku_id=sku.pk, delta=-2, actor=SYSTEM, reason="broken in transit")

    assert (no_reason.code, too_much.code) == ("invalid", "insufficient_stock")
    assert level(store, sku) == (3, 3)
    assert StockMove.objects.filter(kind="adjustment").get().reason == "broken in transit"


def test_a_stocktake_books_the_variance(store, sku):
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)

    variance = record_count(location_id=store.pk, sku_id=sku.pk, counted=7, actor=SYSTEM)

    assert variance == -3
    assert level(store, sku) == (7, 0)
    assert audit_stock() == []


def test_a_transfer_leaves_the_source_then_arrives_once(store, other_store, sku):
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)

    transfer = send_transfer(source_id=store.pk, destination_id=other_store.pk, lines={sku.pk: 4}, actor=SYSTEM)
    in_transit = level(store, sku), StockLevel.objects.filter(location=other_store).exists()
    receive_transfer(transfer_id=transfer.pk, actor=SYSTEM)
    again = error_of(lambda: receive_transfer(transfer_id=transfer.pk, actor=SYSTEM))

    assert in_transit == ((6, 0), False)
    assert level(other_store, sku) == (4, 0)
    assert again.code == "illegal_transition"
    assert audit_stock() == []


def test_a_transfer_of_more_than_available_writes_nothing(store, other_store, sku):
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=2, actor=SYSTEM)

    error = error_of(
        lambda: send_transfer(source_id=store.pk, destination_id=other_store.pk, lines={sku.pk: 3}, actor=SYSTEM)
    )

    assert error.code == "insufficient_stock"
    assert level(store, sku) == (2, 0)
    assert not StockMove.objects.filter(kind="transfer_out").exists()


def test_the_audit_command_reports_book_stock_that_disagrees_with_the_ledger(store, sku):
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    out = StringIO()
    call_command("audit", stdout=out)
    assert "0 differences" in out.getvalue()
    StockLevel.objects.filter(location=store, sku=sku).update(on_hand=6)  # a write that bypassed the ledger

    with pytest.raises(CommandError, match=r"2 difference\(s\)"):  # against the ledger and the business facts
        call_command("audit", stdout=out)

    assert f"location {store.pk} sku {sku.pk}: on_hand book=6 recomputed=5" in out.getvalue()


def test_the_database_refuses_to_oversell_even_past_the_services(store, sku):
    from django.db import IntegrityError, transaction

    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=1, actor=SYSTEM)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(location=store, sku=sku).update(reserved=2)

    assert level(store, sku) == (1, 0)
