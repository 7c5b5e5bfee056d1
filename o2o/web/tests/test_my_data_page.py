"""The storefront's "my data" page: download, consent, deleting the account, as a customer would."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.core.models import OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.journeys import place_pickup_order
from o2o.testing.outbox import last_code_sent_to
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
PAGE = "/shop/my-data/"


def _signed_in(member: Member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def test_the_page_is_for_signed_in_members(member):
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/shop/signin/?next=/shop/my-data/")


def test_the_page_shows_consent_and_the_way_to_delete(member):
    response = _signed_in(member).get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/shop/my-data/"' in html  # in the nav
    assert 'action="/shop/my-data/download/"' in html
    assert 'name="given" value="1"' in html  # not consenting: the button gives consent
    assert 'action="/shop/my-data/delete/code/"' in html
    assert member.phone not in html  # masked on screen


def test_downloading_gives_my_json_and_is_logged(member):
    other = MemberFactory()
    client = _signed_in(member)

    response = client.post("/shop/my-data/download/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="o2o-my-data-')
    data = json.loads(response.content)
    assert (data["profile"]["id"], data["profile"]["phone"]) == (member.pk, member.phone)
    assert other.phone not in response.content.decode()
    assert list(DataRightsEvent.objects.values_list("member_id", "kind", "via")) == [(member.pk, "export", "web")]
    assert client.get("/shop/my-data/download/").status_code == 405


def test_downloads_are_rate_limited_on_the_page_too(settings, member):
    settings.O2O_DATA_EXPORTS_PER_MEMBER = "1/hour"
    client = _signed_in(member)

    first, second = client.post("/shop/my-data/download/"), client.post("/shop/my-data/download/")

    assert (first.status_code, second.status_code) == (200, 429)
    assert DataRightsEvent.objects.count() == 1


def test_consent_is_given_and_withdrawn_from_the_page(member):
    client = _signed_in(member)

    given = client.post("/shop/my-data/consent/", {"given": "1"})
    withdrawn = client.post("/shop/my-data/consent/", {"given": "0"})
    junk = client.post("/shop/my-data/consent/", {"given": "maybe"})
    page = client.get(PAGE).content.decode()

    assert (given.status_code, withdrawn.status_code, junk.status_code) == (302, 302, 422)
    assert list(MarketingConsentRecord.objects.filter(member=member).values_list("given", "source")) == [
        (True, "web"),
        (False, "web"),
    ]
    member.refresh_from_db()
    assert member.marketing_consent is False
    assert 'class="plain consent-history"' in page


def test_an_open_order_stops_the_deletion_on_the_page(member, store):
    sku = SKUFactory(price=Decimal("9.90"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = place_pickup_order(member=member, store=store, sku=sku)
    client = _signed_in(member)

    page = client.get(PAGE).content.decode()
    asked = client.post("/shop/my-data/delete/code/")

    assert order.number in page
    assert 'action="/shop/my-data/delete/code/"' not in page
    assert asked.status_code == 409
    assert not OutboxMessage.objects.filter(recipient=member.phone).exists()
    member.refresh_from_db()
    assert member.anonymised_at is None


def test_deleting_from_the_page_needs_the_code_and_the_confirmation(member):
    phone = member.phone
    client, other_browser = _signed_in(member), _signed_in(member)

    asked = client.post("/shop/my-data/delete/code/")
    code = last_code_sent_to(phone)
    wrong = client.post("/shop/my-data/delete/", {"code": "000000" if code != "000000" else "111111", "confirm": "on"})
    unconfirmed = client.post("/shop/my-data/delete/", {"code": code})
    member.refresh_from_db()
    unchanged = (member.phone, member.anonymised_at)
    deleted = client.post("/shop/my-data/delete/", {"code": code, "confirm": "on"})

    assert asked.status_code == 200
    assert 'action="/shop/my-data/delete/"' in asked.content.decode()
    assert (wrong.status_code, unconfirmed.status_code) == (422, 422)
    assert unchanged == (phone, None)
    assert deleted.status_code == 200
    member.refresh_from_db()
    assert member.phone == f"+999{member.pk:012d}"
    assert member.name == ""
    assert member.anonymised_at is not None
    assert client.get(PAGE).status_code == 302  # signed out here
    assert other_browser.get(PAGE).status_code == 302  # and in every other browser
    assert list(DataRightsEvent.objects.values_list("kind", "via")) == [("deletion", "web")]
