"""The marketers' coupon page: list with counts, create (with form errors, not 500s), switch on/off,
and who may see it."""

import pytest
from django.test import Client

from o2o.coupons.models import CouponTemplate
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

FORM = {"name": "满100减20", "kind": "threshold", "amount": "20.00", "min_spend": "100.00", "valid_days": "7",
        "channel_scope": "both", "per_member_limit": "1", "on_return": "restore", "sku_ids": "",
        "location_ids": "", "category_ids": ""}  # fmt: skip


def signed_in(role: Role, store=None) -> Client:
    client = Client()
    client.force_login(EmployeeFactory(role=role, home_location=store).user)
    return client


def test_a_marketer_creates_a_template_and_sees_it_listed_with_counts(member, coupon_of):
    client = signed_in(Role.MARKETER)

    response = client.post("/marketing/coupons/", FORM | {"quota": "50", "claimable": "on"})

    assert response.status_code == 302
    template = CouponTemplate.objects.get()
    assert (template.kind, template.amount, template.min_spend, template.quota, template.claimable) == (
        "threshold", 20, 100, 50, True,
    )  # fmt: skip
    coupon_of(member, template)
    page = client.get("/marketing/coupons/").content.decode()
    assert f'data-template="{template.pk}"' in page and '<td class="num issued">1</td>' in page


@pytest.mark.parametrize(
    "change",
    [
        {"amount": ""},  # a threshold needs its amount
        {"min_spend": "10.00"},  # less than the amount off
        {"valid_days": ""},  # no validity
        {"sku_ids": "1, x"},
        {"sku_ids": "999999"},
        {"kind": "percent_off", "percent": "", "amount": ""},
    ],
)
def test_bad_terms_are_form_errors_and_nothing_is_written(change):
    response = signed_in(Role.MARKETER).post("/marketing/coupons/", FORM | change)

    assert response.status_code == 422
    assert CouponTemplate.objects.count() == 0


def test_switching_a_template_off_and_on(template):
    tpl = template()
    client = signed_in(Role.HQ)

    client.post(f"/marketing/coupons/{tpl.pk}/active", {"active": "0"})
    tpl.refresh_from_db()
    assert tpl.is_active is False
    client.post(f"/marketing/coupons/{tpl.pk}/active", {"active": "1"})
    tpl.refresh_from_db()
    assert tpl.is_active is True


def test_a_clerk_cannot_open_or_post_the_page(store, template):
    tpl = template()
    client = signed_in(Role.CLERK, store)

    assert client.get("/marketing/coupons/").status_code == 403
    assert client.post("/marketing/coupons/", FORM).status_code == 403
    assert client.post(f"/marketing/coupons/{tpl.pk}/active", {"active": "0"}).status_code == 403
    tpl.refresh_from_db()
    assert (tpl.is_active, CouponTemplate.objects.count()) == (True, 1)
