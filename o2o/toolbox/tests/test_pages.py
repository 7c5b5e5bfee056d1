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


def test_an_employee_shares_from_their_materials_page_and_a_double_tap_makes_one_link(store, other_store):
    publish_material(actor=SYSTEM, spec=MaterialSpec(kind="news", title="新店开业"))
    publish_material(actor=SYSTEM, spec=MaterialSpec(kind="news", title="别店活动"), location_id=other_store.pk)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    client = Client()
    client.force_login(clerk.user)

    page = client.get("/me/materials/")
    material = Material.objects.get(title="新店开业")
    first = client.post(f"/me/materials/{material.pk}/share/", {"key": "tap-1"}, headers={"HX-Request": "true"})
    again = client.post(f"/me/materials/{material.pk}/share/", {"key": "tap-1"}, headers={"HX-Request": "true"})
    elsewhere = Material.objects.get(title="别店活动")
    refused = client.post(f"/me/materials/{elsewhere.pk}/share/", {"key": "tap-2"})

    assert page.status_code == 200
    assert "新店开业" in page.content.decode() and "别店活动" not in page.content.decode()
    share = MaterialShare.objects.get()
    assert (share.employee_id, share.material_id) == (clerk.pk, material.pk)
    assert f"/shop/m/{share.token}/" in first.content.decode() and first.content == again.content
    assert refused.status_code == 404


def test_a_store_manager_publishes_for_their_store_and_withdraws(store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    client = Client()
    client.force_login(manager.user)

    published = client.post("/manager/materials/", {"kind": "price_list", "title": "价目表", "body": "洗车 ¥30",
                                                    "chain_wide": "on"})  # fmt: skip
    bad = client.post("/manager/materials/", {"kind": "video", "title": "无链接视频"})

    material = Material.objects.get()
    assert published.status_code == 302
    assert (material.location_id, material.kind, material.published_by_id) == (store.pk, "price_list", manager.user.pk)
    assert bad.status_code == 422 and Material.objects.count() == 1
    withdrawn = client.post(f"/manager/materials/{material.pk}/active/", {"active": "0"})
    assert withdrawn.status_code == 302 and Material.objects.get().is_active is False
    assert "价目表" in client.get("/manager/materials/").content.decode()


def test_a_clerk_cannot_open_the_publishing_page(store):
    client = Client()
    client.force_login(EmployeeFactory(role=Role.CLERK, home_location=store).user)

    assert client.get("/manager/materials/").status_code == 403
    assert client.post("/manager/materials/", {"kind": "news", "title": "x"}).status_code == 403
    assert Material.objects.count() == 0
