"""The employee's /me/ page: my link, QR and posters, my figures, and my card (only mine)."""

from decimal import Decimal

import pytest
from django.test import Client

from o2o.outreach.models import EmployeeCard
from o2o.outreach.services import record_visit
from o2o.staff.models import Role
from o2o.testing.factories import PASSWORD, EmployeeFactory, MemberFactory, SKUFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seller(store):
    return EmployeeFactory(home_location=store, code="WANG01", display_name="王小明")


def signed_in(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_me_shows_my_link_qr_posters_and_figures(seller):
    SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    record_visit(employee=seller, visitor_cookie="a", path="/shop/e/WANG01/")
    MemberFactory(registration_channel="share_link", acquiring_employee=seller)

    response = signed_in(seller.user).get("/me/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "http://testserver/shop/e/WANG01/" in body
    assert 'src="/shop/e/WANG01/qr.svg"' in body
    assert 'href="/shop/e/WANG01/poster.png"' in body and "乌龙茶 500ml" in body
    figures = response.context["figures"]
    assert (figures.visits, figures.visitors, figures.members_acquired, figures.orders) == (1, 1, 1, 0)


def test_i_save_my_card_from_the_page(seller):
    client = signed_in(seller.user)

    response = client.post("/me/card/", {"title": "店长", "greeting": "欢迎", "contact_phone": "13800001111"})

    assert response.status_code == 302 and response["Location"] == "/me/"
    card = EmployeeCard.objects.get(employee=seller)
    assert (card.title, card.greeting, card.contact_phone) == ("店长", "欢迎", "+8613800001111")
    assert client.get("/me/").context["form"].initial["title"] == "店长"


def test_a_bad_phone_is_a_form_error_and_saves_nothing(seller):
    response = signed_in(seller.user).post("/me/card/", {"title": "店长", "contact_phone": "12345"})

    assert response.status_code == 422
    assert response.context["form"].errors["contact_phone"]
    assert not EmployeeCard.objects.exists()


def test_a_manager_saving_a_card_saves_only_their_own(seller, store):
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    EmployeeCard.objects.create(employee=seller, title="店员")

    signed_in(manager.user).post("/me/card/", {"title": "店长", "employee": seller.pk, "code": "WANG01"})

    assert EmployeeCard.objects.get(employee=seller).title == "店员"
    assert EmployeeCard.objects.get(employee=manager).title == "店长"


def test_me_is_for_signed_in_employees_only(seller):
    anonymous = Client().get("/me/")
    not_an_employee = signed_in(UserFactory()).get("/me/")

    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert not_an_employee.status_code == 403
