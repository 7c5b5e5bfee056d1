"""The shopper's own store at the top of the storefront, and the tab bar for phones."""

import pytest
from django.test import Client

from o2o.stores.models import Location
from o2o.testing.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def test_a_shopper_chooses_a_store_and_every_page_shows_it(shopper, store):
    before = shopper.get("/shop/").content.decode()

    chosen = shopper.post(f"/shop/stores/{store.pk}/choose/", {"next": "/shop/cart/"})
    page = shopper.get("/shop/").content.decode()

    assert "Choose your store" in before
    assert chosen.status_code == 302 and chosen["Location"] == "/shop/cart/"
    assert f'data-store="{store.pk}"' in page and store.name in page


def test_the_store_list_offers_to_shop_at_each_store(shopper, store):
    page = shopper.get("/shop/stores/", {"lat": store.latitude, "lng": store.longitude}).content.decode()

    assert f"/shop/stores/{store.pk}/choose/" in page


def test_a_warehouse_an_unknown_or_closed_store_cannot_be_chosen(shopper, store):
    warehouse = LocationFactory(kind=Location.Kind.WAREHOUSE)
    closed = LocationFactory(is_active=False)

    for location_id in (warehouse.pk, closed.pk, 999999):
        assert shopper.post(f"/shop/stores/{location_id}/choose/").status_code == 404
    assert shopper.get(f"/shop/stores/{store.pk}/choose/").status_code == 405
    assert "data-store=" not in shopper.get("/shop/").content.decode()


def test_the_way_back_stays_on_this_site(shopper, store):
    chosen = shopper.post(f"/shop/stores/{store.pk}/choose/", {"next": "https://evil.example/"})

    assert chosen["Location"] == "/shop/"


def test_a_store_closed_for_good_later_drops_off_the_bar(shopper, store):
    shopper.post(f"/shop/stores/{store.pk}/choose/")
    Location.objects.filter(pk=store.pk).update(is_active=False)

    assert "Choose your store" in shopper.get("/shop/").content.decode()


def test_phones_get_a_tab_bar_and_htmx_fragments_carry_neither(shopper, store):
    shopper.post(f"/shop/stores/{store.pk}/choose/")

    page = shopper.get("/shop/").content.decode()
    fragment = shopper.get("/shop/", {"q": "tea"}, HTTP_HX_REQUEST="true").content.decode()

    assert 'class="tabbar"' in page and 'href="/shop/cart/"' in page
    assert "tabbar" not in fragment and "store-bar" not in fragment
