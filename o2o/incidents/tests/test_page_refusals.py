"""Who the incident and replenishment pages turn away before anything is written: a visitor who is
not signed in goes to the sign-in page; a warehouse clerk may not approve a store's proposals (403)."""

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.incidents.models import ActionKind, Incident, IncidentAction
from o2o.inventory.models import StockLevel, Transfer
from o2o.inventory.services import receive_stock
from o2o.payments.models import Refund
from o2o.replenishment.models import Proposal
from o2o.replenishment.services import propose_replenishment
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory

pytestmark = pytest.mark.django_db

ACTIONS = {
    "refund": {"quantity": 1, "key": "anon-1"},
    "coupon": {"template_id": 1, "key": "anon-2"},
    "redeliver": {"note": "again tomorrow", "key": "anon-3"},
    "contact": {"note": "called"},
    "substitute": {"sku_id": 1, "note": ""},
    "answer": {"accepted": "yes", "note": ""},
    "close": {"outcome": "resolved", "note": ""},
}


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_a_visitor_not_signed_in_is_sent_to_sign_in_by_every_incident_action(incident):
    visitor = Client()

    answers = {
        action: visitor.post(f"/manager/incidents/{incident.pk}/{action}/", data) for action, data in ACTIONS.items()
    }

    assert {action: _to_sign_in(answer) for action, answer in answers.items()} == dict.fromkeys(ACTIONS, True)
    assert Refund.objects.count() == 0
    assert list(IncidentAction.objects.values_list("kind", flat=True)) == [ActionKind.OPENED]
    assert (Incident.objects.get().state, Incident.objects.get().refunded_quantity) == ("open", 0)


def test_a_visitor_not_signed_in_is_sent_to_sign_in_from_hqs_incidents():
    assert _to_sign_in(Client().get("/hq/incidents/"))


@pytest.fixture
def proposal(store) -> Proposal:
    warehouse = LocationFactory(kind=Location.Kind.WAREHOUSE, latitude=31.22, longitude=121.54)
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=warehouse.pk, sku_id=sku.pk, quantity=100)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=1)
    StockLevel.objects.filter(location=store, sku=sku).update(alert_level=5, target_level=10)
    (proposal,) = propose_replenishment(actor=SYSTEM, location_id=store.pk)
    return proposal


def test_a_warehouse_clerk_may_not_approve_proposals_from_the_page(proposal):
    warehouse = Location.objects.get(kind=Location.Kind.WAREHOUSE)
    keeper = Client()
    keeper.force_login(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse).user)

    refused = keeper.post("/manager/replenishment/approve/", {"proposal": [proposal.pk], "idempotency_key": "keeper-1"})

    assert refused.status_code == 403
    assert (Proposal.objects.get().state, Proposal.objects.get().transfer_id) == ("open", None)
    assert Transfer.objects.count() == 0


def test_a_visitor_not_signed_in_is_sent_to_sign_in_from_replenishment(proposal):
    visitor = Client()

    page = visitor.get("/manager/replenishment/")
    approved = visitor.post("/manager/replenishment/approve/", {"proposal": [proposal.pk]})

    assert _to_sign_in(page) and _to_sign_in(approved)
    assert (Proposal.objects.get().state, Transfer.objects.count()) == ("open", 0)
