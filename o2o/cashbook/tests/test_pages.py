"""The manager's cash-book page with the daily close, and HQ's closes and franchise pages."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.cashbook.days import today
from o2o.cashbook.models import DailyClose
from o2o.cashbook.tests.conftest import counter_sale
from o2o.stores.models import Location
from o2o.testing.factories import MemberFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _close_form(client, counted: str, key: str = "page-key-1"):
    return client.post(
        reverse("web:manager-cashbook-close"),
        {"business_date": today().isoformat(), "counted_cash": counted, "note": "", "idempotency_key": key},
    )


def test_the_manager_sees_the_expected_cash_and_closes_the_day(settings, store, clerk, manager, tea):
    # given: a float of 100.00 and 25.00 taken in cash, 12.50 by card
    settings.O2O_CASH_FLOAT = "100.00"
    counter_sale(clerk, tea, method="cash", quantity=2)
    counter_sale(clerk, tea, method="card")
    client = _signed_in(manager)

    # when: the manager opens the cash book, then closes with 124.00 counted
    page = client.get(reverse("web:manager-cashbook"))
    closed = _close_form(client, "124.00")

    # then
    assert page.status_code == 200
    assert 'data-expected="125.00"' in page.content.decode()
    assert 'name="counted_cash"' in page.content.decode()
    assert closed.status_code == 302
    close = DailyClose.objects.get()
    assert (close.expected_cash, close.counted_cash, close.variance) == (
        Decimal("125.00"),
        Decimal("124.00"),
        Decimal("-1.00"),
    )
    after = client.get(closed["Location"]).content.decode()
    assert 'data-testid="variance">¥-1.00' in after
    assert 'name="counted_cash"' not in after


def test_a_double_submit_closes_once(store, manager):
    client = _signed_in(manager)

    _close_form(client, "10.00")
    _close_form(client, "10.00")
    again = _close_form(client, "11.00", key="page-key-2")

    assert DailyClose.objects.count() == 1
    assert again.status_code == 302


@pytest.mark.parametrize("counted", ["", "-1", "abc", "1.234", "1e9999"])
def test_a_bad_count_is_a_form_error_and_closes_nothing(store, manager, counted):
    response = _close_form(_signed_in(manager), counted)

    assert response.status_code == 422
    assert not DailyClose.objects.exists()


def test_a_clerk_does_not_get_the_cash_book(store, clerk):
    client = _signed_in(clerk)

    assert client.get(reverse("web:manager-cashbook")).status_code == 403
    assert _close_form(client, "1.00").status_code == 403
    assert not DailyClose.objects.exists()


def test_a_manager_cannot_open_another_stores_cash_book(other_store, manager):
    response = _signed_in(manager).get(reverse("web:manager-cashbook"), {"location": other_store.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("day", ["junk", "2026-02-30", "9999-99-99"])
def test_a_junk_date_is_not_a_500(store, manager, day):
    assert _signed_in(manager).get(reverse("web:manager-cashbook"), {"date": day}).status_code == 422


def test_hq_sees_every_close_and_the_stores_not_closed(store, other_store, manager, hq):
    _close_form(_signed_in(manager), "3.00")

    page = _signed_in(hq).get(reverse("web:hq-closes")).content.decode()

    closes_part, unclosed_part = page.split('id="unclosed"')
    assert f'data-location="{store.pk}" data-variance="3.00"' in closes_part
    assert f'data-location="{other_store.pk}"' in unclosed_part
    assert f'data-location="{store.pk}"' not in unclosed_part


def test_hq_sees_the_franchise_share(store, tea, hq):
    Location.objects.filter(pk=store.pk).update(ownership="franchise", franchise_share_percent=Decimal("10"))
    paid_pickup_order(member=MemberFactory(), store=store, sku=tea, quantity=3)

    page = _signed_in(hq).get(reverse("web:hq-franchise")).content.decode()

    assert f'data-location="{store.pk}" data-share="3.75"' in page


@pytest.mark.parametrize("query", [{"date_from": "junk"}, {"date_from": "2026-01-10", "date_to": "2026-01-01"}])
def test_hq_pages_answer_junk_with_a_422(hq, query):
    client = _signed_in(hq)

    assert client.get(reverse("web:hq-closes"), query).status_code == 422
    assert client.get(reverse("web:hq-franchise"), query).status_code in (200, 422)


def test_a_manager_does_not_get_the_hq_pages(manager):
    assert _signed_in(manager).get(reverse("web:hq-closes")).status_code == 403
