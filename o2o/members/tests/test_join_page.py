import pytest

from o2o.members.models import Member

pytestmark = pytest.mark.django_db


def test_the_store_qr_page_signs_a_customer_up_for_the_store_and_clerk(client, store, clerk):
    page = client.get(f"/join/{store.code}?ref={clerk.code}")
    assert page.status_code == 200
    assert store.name in page.content.decode()

    response = client.post(
        f"/join/{store.code}?ref={clerk.code}", {"phone": "13912345678", "name": "韩梅梅", "ref": clerk.code}
    )

    assert response.status_code == 200
    assert "+86139****5678" in response.content.decode()
    member = Member.objects.get()
    assert (member.acquiring_location, member.acquiring_employee, member.registration_channel) == (
        store,
        clerk,
        "store_qr",
    )


def test_a_bad_phone_shows_a_field_error_in_chinese_and_writes_nothing(client, store):
    response = client.post(f"/join/{store.code}", {"phone": "12345"})

    assert response.status_code == 422
    assert "手机号" in response.content.decode()
    assert not Member.objects.exists()


def test_an_unknown_store_is_404(client):
    assert client.get("/join/NOPE").status_code == 404
