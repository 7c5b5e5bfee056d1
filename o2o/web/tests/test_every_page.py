"""A crawl of every page as every kind of visitor, with empty and with junk input: never a 500."""

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.web import urls as web_urls
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

JUNK = {
    "q": "' OR 1=1 --",
    "code": "²" * 20,
    "phone": "\x00",
    "quantity": "-99999999999999999999",
    "delta": "1e9",
    "reason": "x" * 5000,
    "location": "99999999999999999999",
    "period": "forever",
    "state": "nonsense",
    "lat": "nan",
    "lng": "inf",
    "district": "-1",
    "sku": "abc",
    "outcome": "maybe",
    "barcode": "<script>",
}


@pytest.fixture
def world(store, member):
    sku = SKUFactory(barcode="6900000000017")
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=sku)
    return {"sku": sku, "order": order, "voucher": PickupVoucher.objects.get(order=order), "store": store}


def visitors(store, member) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role in (Role.CLERK, Role.STORE_MANAGER, Role.HQ):
        client = Client()
        client.force_login(EmployeeFactory(role=role, home_location=None if role == Role.HQ else store).user)
        clients[role.value] = client
    customer = Client()
    session = customer.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    clients["member"] = customer
    return clients


def every_url(world) -> list[str]:
    """Every page URL of the web namespace and the join page, with ids of real rows."""
    ids = {
        "sku_id": world["sku"].pk,
        "order_id": world["order"].pk,
        "voucher_id": world["voucher"].pk,
        "transfer_id": 999999,
        "top_up_id": 999999,
        "tier_id": 999999,
        "sale_id": 999999,  # a flash sale
        # offers and campaigns that do not exist: every page answers 404 or a redirect, never 500
        "offer_id": 999999,
        "group_id": 999999,
        "chain_id": 999999,
        "template_id": 999999,
        "promotion_id": 999999,
        "campaign_id": 999999,
        "broadcast_id": 999999,
        "store_code": "NOPE",
        "code": "NOPE",  # a share link, red packet or check-in code
        # staff online: a real store (the owner's view), rows that do not exist otherwise
        "location_id": world["store"].pk,
        "employee_id": 999999,
        "member_id": 999999,
        "lead_id": 999999,
        "follow_up_id": 999999,
        "loan_id": 999999,
        "request_id": 999999,
        "material_id": 999999,
        "token": "NOPE",  # a shared material
        "ticket_id": 999999,  # a customer-service ticket
        "visit_id": 999999,  # a follow-up visit
        "article_id": 999999,  # a knowledge-base article
        "count_id": 999999,  # a stocktake
        "action": "approve",  # a stocktake's step
        # store fulfilment: a preparation, proposal, incident, delivery run and stop that do not exist
        "preparation_id": 999999,
        "proposal_id": 999999,
        "incident_id": 999999,
        "run_id": 999999,
        "stop_id": 999999,
    }
    urls = [reverse("join", kwargs={"store_code": "NOPE"})]
    for pattern in _patterns(get_resolver(web_urls).url_patterns):
        params = pattern.pattern.converters.keys()
        urls.append(reverse(f"web:{pattern.name}", kwargs={p: ids[p] for p in params}))
    return sorted(set(urls))


def _patterns(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _patterns(pattern.url_patterns)
        else:
            yield pattern


def test_no_page_answers_500_to_anyone(world, store, member):
    urls = every_url(world)
    assert len(urls) > 30
    failures = []
    for who, client in visitors(store, member).items():
        for url in urls:
            for response in (
                client.get(url),
                client.get(url, JUNK),
                client.post(url, JUNK),
                client.post(url, JUNK, headers={"HX-Request": "true"}),
            ):
                if response.status_code >= 500:
                    failures.append(f"{who} {response.request['REQUEST_METHOD']} {url}: {response.status_code}")

    assert failures == []
