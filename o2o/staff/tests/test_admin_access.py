"""Least privilege in the back office: each role signs in through the staff sign-in page and opens
/admin/; it sees the screens of its work and nothing else, and read-only screens refuse writes."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.access.permissions import PERMISSIONS, Operation
from o2o.catalog.models import Price
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.staff.admin_rights import ADMIN_ROLES, CONTACT_PERMISSION
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location
from o2o.testing.factories import (
    PASSWORD,
    EmployeeFactory,
    MemberFactory,
    RegionFactory,
    SKUFactory,
)
from o2o.testing.journeys import place_pickup_order

pytestmark = pytest.mark.django_db

CATALOG = {"catalog.category", "catalog.product", "catalog.sku", "catalog.price"}
STORES = {"stores.region", "stores.location"}
# What each office role may open in the admin, written out by hand (not derived from the table).
EXPECTED = {
    Role.ONLINE_OPERATOR: CATALOG | STORES | {"orders.order"},
    Role.MARKETER: CATALOG | {"members.member"},
    Role.CS_AGENT: CATALOG
    | STORES
    | {"orders.order", "payments.payment", "payments.refund", "pickup.pickupvoucher", "pickup.voucherattempt"}
    | {"members.member"},
}
STORE_ROLES = [Role.STORE_MANAGER, Role.CLERK, Role.TECHNICIAN, Role.WAREHOUSE_CLERK, Role.REGIONAL_SUPERVISOR]


def _hire(role: Role) -> Employee:
    if role == Role.REGIONAL_SUPERVISOR:
        return EmployeeFactory(role=role, home_location=None, region=RegionFactory())
    if role in {Role.HQ, Role.ONLINE_OPERATOR, Role.MARKETER, Role.CS_AGENT}:
        return EmployeeFactory(role=role, home_location=None)
    return EmployeeFactory(role=role)


def _signed_in(employee: Employee) -> Client:
    """Through the one staff sign-in form, the way a person does it."""
    client = Client()
    answer = client.post("/accounts/login/", {"username": employee.user.username, "password": PASSWORD})
    assert answer.status_code == 302, answer.content
    client.cookies["django_language"] = "en"
    return client


def _registered() -> list[str]:
    return sorted(m._meta.label_lower for m in admin.site._registry)


def _changelist(label: str) -> str:
    app, model = label.split(".")
    return f"/admin/{app}/{model}/"


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_an_office_role_opens_the_screens_of_its_work_and_no_other(role):
    # given
    browser = _signed_in(_hire(role))

    # when
    codes = {label: browser.get(_changelist(label)).status_code for label in _registered()}

    # then
    assert {label for label, code in codes.items() if code == 200} == EXPECTED[role]
    assert set(codes.values()) == {200, 403}


def test_hq_opens_every_screen_of_the_chain_but_not_the_accounts():
    browser = _signed_in(_hire(Role.HQ))

    codes = {label: browser.get(_changelist(label)).status_code for label in _registered()}

    assert {label for label, code in codes.items() if code != 200} == {
        "auth.group",
        "auth.user",
        "django_tasks_database.dbtaskresult",
    }
    assert set(codes.values()) == {200, 403}


@pytest.mark.parametrize("role", STORE_ROLES)
def test_store_roles_and_supervisors_have_no_back_office_at_all(role):
    # given a store role signed in to the pages
    browser = _signed_in(_hire(role))

    # when they open the admin
    index = browser.get("/admin/")
    orders = browser.get("/admin/orders/order/")

    # then they are sent to sign in as someone else
    assert index.status_code == 302 and index["Location"].startswith("/admin/login/")
    assert orders.status_code == 302 and orders["Location"].startswith("/admin/login/")


def test_the_admin_has_no_password_form_of_its_own():
    """The admin's login sends people to the staff sign-in, whose throttling then holds for it too."""
    answer = Client().post("/admin/login/?next=/admin/", {"username": "x", "password": "y"})

    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=/admin/"


@pytest.fixture
def order(store):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return place_pickup_order(member=MemberFactory(name=""), store=store, sku=sku)


def test_read_only_screens_refuse_writes_even_from_hq_and_change_nothing(order):
    # given HQ and a superuser in the admin
    hq = _signed_in(_hire(Role.HQ))
    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD))
    level = StockLevel.objects.get()
    member = order.member

    for browser in (hq, root):
        # when they post the forms a writable screen would take
        answers = [
            browser.post(f"/admin/orders/order/{order.pk}/change/", {"state": "completed"}),
            browser.post("/admin/orders/order/add/", {"number": "X1"}),
            browser.post(f"/admin/orders/order/{order.pk}/delete/", {"post": "yes"}),
            browser.post(f"/admin/inventory/stocklevel/{level.pk}/change/", {"on_hand": 999}),
            browser.post(f"/admin/inventory/stocklevel/{level.pk}/delete/", {"post": "yes"}),
            browser.post(f"/admin/members/member/{member.pk}/change/", {"name": "x", "phone": "+8613900000000"}),
            browser.post("/admin/orders/order/", {"action": "delete_selected", "_selected_action": [order.pk]}),
        ]

        # then every write is refused
        assert [a.status_code for a in answers[:-1]] == [403] * 6
        assert answers[-1].status_code in (200, 302)  # no delete action offered: the list shows again

    # and nothing was written
    order.refresh_from_db()
    level.refresh_from_db()
    member.refresh_from_db()
    assert order.state == "pending_payment" and Order.objects.count() == 1
    assert (level.on_hand, level.reserved) == (5, 1)
    assert member.name == "" and Member.objects.get().phone == member.phone


def test_hq_edits_a_store_and_an_online_operator_may_not(store):
    # given
    hq = _signed_in(_hire(Role.HQ))
    operator = _signed_in(_hire(Role.ONLINE_OPERATOR))
    form = hq.get(f"/admin/stores/location/{store.pk}/change/")
    data = {k: v for k, v in form.context["adminform"].form.initial.items() if v is not None}
    data.update(name="新名字", opens_at="09:00", closes_at="21:00", region=store.region_id)

    # when
    refused = operator.post(f"/admin/stores/location/{store.pk}/change/", {**data, "name": "坏名字"})
    changed = hq.post(f"/admin/stores/location/{store.pk}/change/", data)

    # then
    assert refused.status_code == 403
    assert changed.status_code == 302, changed.context["adminform"].form.errors
    assert Location.objects.get(pk=store.pk).name == "新名字"


def test_only_roles_that_may_look_members_up_see_their_phones():
    # given a member without a name (so nothing but the phone could identify them)
    member = MemberFactory(name="", phone="+8613912345678")
    cs = _signed_in(_hire(Role.CS_AGENT))
    marketer = _signed_in(_hire(Role.MARKETER))

    # when both open the member list, the member and search by the phone
    cs_list = cs.get("/admin/members/member/").content.decode()
    cs_page = cs.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    mk_list = marketer.get("/admin/members/member/").content.decode()
    mk_page = marketer.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    cs_found = cs.get("/admin/members/member/", {"q": "139 1234 5678"}).context["cl"].result_count
    mk_found = marketer.get("/admin/members/member/", {"q": "+8613912345678"}).context["cl"].result_count

    # then customer service sees and finds it; the marketer sees it masked and cannot search by it
    assert "+8613912345678" in cs_list and "+8613912345678" in cs_page
    assert "+8613912345678" not in mk_list and "+8613912345678" not in mk_page
    assert "+86139****5678" in mk_list and "+86139****5678" in mk_page
    assert (cs_found, mk_found) == (1, 0)


def test_the_phone_permission_follows_the_role_table_for_member_lookup():
    holders = set(Group.objects.filter(permissions__codename=CONTACT_PERMISSION).values_list("name", flat=True))

    assert holders == {r.value for r in ADMIN_ROLES if r in PERMISSIONS[Operation.LOOK_UP_MEMBER]}


def test_a_new_hire_gets_into_the_back_office_only_in_an_office_role():
    office = [_hire(role) for role in sorted(ADMIN_ROLES)]
    store = [_hire(role) for role in STORE_ROLES]

    assert all(e.user.is_staff for e in office) and not any(e.user.is_staff for e in store)


def test_an_online_operator_reprices_a_sku_and_finds_it_by_autocomplete():
    # given
    sku = SKUFactory(code="TEA-500")
    price = Price.objects.get(sku=sku, channel="app", location=None)
    operator = _signed_in(_hire(Role.ONLINE_OPERATOR))

    # when
    found = operator.get(
        "/admin/autocomplete/", {"app_label": "catalog", "model_name": "price", "field_name": "sku", "term": "TEA"}
    )
    changed = operator.post(
        f"/admin/catalog/price/{price.pk}/change/", {"sku": sku.pk, "channel": "app", "location": "", "amount": "12.50"}
    )

    # then
    assert [r["id"] for r in found.json()["results"]] == [str(sku.pk)]
    assert changed.status_code == 302
    assert Price.objects.get(pk=price.pk).amount == Decimal("12.50")


EDITABLE = {Role.HQ: CATALOG | STORES, Role.ONLINE_OPERATOR: CATALOG, Role.MARKETER: set(), Role.CS_AGENT: set()}


@pytest.mark.parametrize("role", sorted(EDITABLE))
def test_an_office_role_may_add_only_to_the_catalog_and_stores_it_runs(role):
    # given
    browser = _signed_in(_hire(role))
    before = {label: _count(label) for label in _registered()}

    # when it posts an (empty) new row to every screen
    codes = {label: browser.post(f"{_changelist(label)}add/", {}).status_code for label in _registered()}

    # then only its editable screens take the form (and answer with the form's errors); nothing was added
    assert {label for label, code in codes.items() if code != 403} == EDITABLE[role]
    assert {codes[label] for label in EDITABLE[role]} <= {200}
    assert {label: _count(label) for label in _registered()} == before


def _count(label: str) -> int:
    return apps.get_model(label)._default_manager.count()
