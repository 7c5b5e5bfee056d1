"""The toolbox pages: the reader's shared page (/shop/m/<token>/), the employee's materials to share
(/me/materials/) and the publishing page (/manager/materials/)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.leads.models import Lead
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory
from o2o.toolbox.models import Inquiry, Material, MaterialOpen, MaterialShare
from o2o.toolbox.services import MaterialSpec, publish_material

pytestmark = pytest.mark.django_db


def _shared(store, **fields):
    material = publish_material(
        actor=SYSTEM, spec=MaterialSpec(kind="case_study", title="客户案例", body="正文", **fields)
    )
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store, display_name="赵店员")
    return MaterialShare.objects.create(material=material, employee=clerk, token="t" * 24), clerk


def test_a_reader_opens_reads_forwards_and_asks_from_the_shared_page(store):
    share, clerk = _shared(store)
    reader = Client()

    page = reader.get("/shop/m/tttttttttttttttttttttttt/")
    opened = MaterialOpen.objects.get()
    MaterialOpen.objects.filter(pk=opened.pk).update(opened_at=timezone.now() - timedelta(seconds=25))
    ping = reader.post(f"/shop/m/{share.token}/ping/", {"open": opened.pk})
    forwarded = reader.post(f"/shop/m/{share.token}/forward/", {"open": opened.pk})
    asked = reader.post(f"/shop/m/{share.token}/inquire/", {"kind": "ask", "phone": "13800138000", "name": "陈先生",
                                                            "message": "有现货吗"})  # fmt: skip

    assert page.status_code == 200
    body = page.content.decode()
    assert "客户案例" in body and "赵店员" in body and 'hx-trigger="every 10s"' in body
    assert "o2o_reader" in page.cookies
    assert ping.status_code == 204
    assert 25 <= MaterialOpen.objects.get().seconds <= 26
    child = MaterialShare.objects.get(depth=1)
    assert f"/shop/m/{child.token}/" in forwarded.content.decode()
    assert (child.employee_id, child.parent_open_id) == (clerk.pk, opened.pk)
    assert asked.status_code == 200 and "赵店员" in asked.content.decode()
    assert Inquiry.objects.get().employee_id == clerk.pk
    assert Lead.objects.get().phone == "+8613800138000"


def test_another_readers_cookie_cannot_ping_or_forward_an_open(store):
    share, _clerk = _shared(store)
    Client().get(f"/shop/m/{share.token}/")
    opened = MaterialOpen.objects.get()
    stranger = Client()
    stranger.get(f"/shop/m/{share.token}/")

    assert stranger.post(f"/shop/m/{share.token}/ping/", {"open": opened.pk}).status_code == 404
    assert stranger.post(f"/shop/m/{share.token}/forward/", {"open": opened.pk}).status_code == 404
    assert stranger.post(f"/shop/m/{share.token}/ping/", {"open": "x"}).status_code == 404
    assert MaterialShare.objects.count() == 1


def test_a_bad_inquiry_shows_the_form_again_and_writes_nothing(store):
    share, _clerk = _shared(store)

    bad_phone = Client().post(f"/shop/m/{share.token}/inquire/", {"kind": "ask", "phone": "123"})
    no_time = Client().post(f"/shop/m/{share.token}/inquire/", {"kind": "event", "phone": "13800138000"})

    assert (bad_phone.status_code, no_time.status_code) == (422, 422)
    assert (Inquiry.objects.count(), Lead.objects.count()) == (0, 0)


def test_unknown_and_withdrawn_pages_are_404(store):
    share, _clerk = _shared(store)
    Material.objects.update(is_active=False)

    assert Client().get(f"/shop/m/{share.token}/").status_code == 404
    assert Client().get("/shop/m/" + "u" * 24 + "/").status_code == 404
    assert Client().get("/shop/m/x/").status_code == 404
    assert MaterialOpen.objects.count() == 0
