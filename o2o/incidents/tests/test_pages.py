"""The incident pages: a store's list and one incident with its remedies (/manager/incidents/), and
HQ's counts (/hq/incidents/). Another store's incident is a 404; a clerk sees but may not remedy."""

from decimal import Decimal

import pytest
from django.test import Client

from o2o.incidents.models import Incident
from o2o.payments.models import Refund
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def test_the_manager_refunds_and_closes_from_the_page(store, incident):
    page = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))

    listed = page.get("/manager/incidents/")
    detail = page.get(f"/manager/incidents/{incident.pk}/")
    refunded = page.post(f"/manager/incidents/{incident.pk}/refund/", {"quantity": 1, "key": "page-1"})
    again = page.post(f"/manager/incidents/{incident.pk}/refund/", {"quantity": 1, "key": "page-1"})
    closed = page.post(f"/manager/incidents/{incident.pk}/close/", {"outcome": "resolved", "note": ""})

    assert listed.status_code == 200 and f"#{incident.pk}" in listed.content.decode()
    assert detail.status_code == 200 and f'action="/manager/incidents/{incident.pk}/refund/' in detail.content.decode()
    assert (refunded.status_code, again.status_code, closed.status_code) == (302, 302, 302)
    assert [r.amount for r in Refund.objects.all()] == [Decimal("6.50")]
    assert Incident.objects.get().state == "closed"


def test_a_clerk_sees_it_without_remedies_and_is_refused_a_refund(store, incident):
    page = _signed_in(EmployeeFactory(role=Role.CLERK, home_location=store))

    detail = page.get(f"/manager/incidents/{incident.pk}/")
    refused = page.post(f"/manager/incidents/{incident.pk}/refund/", {"quantity": 1, "key": "x"})

    assert detail.status_code == 200 and "/refund/" not in detail.content.decode()
    assert refused.status_code == 403 and Refund.objects.count() == 0


def test_another_stores_manager_gets_404(other_store, incident):
    page = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    assert page.get(f"/manager/incidents/{incident.pk}/").status_code == 404
    assert page.post(f"/manager/incidents/{incident.pk}/refund/", {"quantity": 1, "key": "x"}).status_code == 404
    assert f"#{incident.pk}" not in page.get("/manager/incidents/?state=all").content.decode()
    assert Refund.objects.count() == 0


def test_a_bad_form_is_a_message_and_writes_nothing(store, incident):
    page = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))

    response = page.post(f"/manager/incidents/{incident.pk}/refund/", {"quantity": 5, "key": "x"}, follow=True)

    assert response.status_code == 200 and Refund.objects.count() == 0
    assert Incident.objects.get().refunded_quantity == 0


def test_hq_sees_counts_by_type_store_and_step(store, incident):
    page = _signed_in(EmployeeFactory(role=Role.HQ, home_location=None))

    response = page.get("/hq/incidents/?days=7")

    assert response.status_code == 200
    assert store.name in response.content.decode()
    assert _signed_in(EmployeeFactory(role=Role.CLERK, home_location=store)).get("/hq/incidents/").status_code == 403
