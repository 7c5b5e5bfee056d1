"""The driver's phone page and the depot's run planning page."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from o2o.delivery.models import DeliveryRun, RunState, RunStop, StopState
from o2o.delivery.tests.conftest import packed_order
from o2o.orders.models import Order, OrderState

pytestmark = pytest.mark.django_db


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("door.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_the_manager_plans_and_sends_a_run_from_the_page(depot, sku, van, driver, manager, settings, tmp_path):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    client = _signed_in(manager)
    day = "2030-01-02"
    response = client.post("/manager/delivery/plan/", {"date": day})
    assert response.status_code == 302
    page = client.get(f"/manager/delivery/?date={day}")
    assert page.status_code == 200
    assert order.number in page.content.decode()
    run = DeliveryRun.objects.get()
    assert client.post(f"/manager/delivery/runs/{run.pk}/dispatch/").status_code == 302
    assert DeliveryRun.objects.get().state == RunState.DISPATCHED


def test_the_driver_sees_today_navigates_and_delivers_by_code_or_photo(depot, sku, van, driver, manager, settings,
                                                                       tmp_path):  # fmt: skip
    from django.utils import timezone

    from o2o.access.actors import actor_for_user
    from o2o.delivery import services

    settings.MEDIA_ROOT = tmp_path
    orders = [packed_order(depot, sku, a) for a in ("上海市黄浦区人民大道200号", "上海市徐汇区衡山路10号")]
    services.plan_runs(actor=actor_for_user(manager.user), depot_id=depot.pk, day=timezone.localdate(),
                       now=timezone.localtime().replace(hour=0, minute=0))  # fmt: skip
    client = _signed_in(driver)
    assert client.get("/").url == "/driver/"
    run = DeliveryRun.objects.get()
    assert client.post(f"/driver/runs/{run.pk}/dispatch/").status_code == 302
    page = client.get("/driver/").content.decode()
    assert "https://uri.amap.com/navigation?to=" in page and orders[0].number in page
    first, second = (RunStop.objects.get(order=o) for o in orders)
    assert client.post(f"/driver/stops/{first.pk}/deliver/", {"code": first.delivery_code}).status_code == 302
    assert client.post(f"/driver/stops/{second.pk}/deliver/", {"photo": _photo()}).status_code == 302
    second.refresh_from_db()
    assert (second.state, second.proof, bool(second.photo)) == (StopState.DELIVERED, "photo", True)
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("state", flat=True)) == {
        OrderState.DELIVERED
    }


def test_another_driver_gets_404_on_the_page_and_nothing_changes(depot, sku, van, driver, other_driver, manager):
    from django.utils import timezone

    from o2o.access.actors import actor_for_user
    from o2o.delivery import services

    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    services.plan_runs(actor=actor_for_user(manager.user), depot_id=depot.pk, day=timezone.localdate(),
                       now=timezone.localtime().replace(hour=0, minute=0))  # fmt: skip
    run = DeliveryRun.objects.get()
    services.dispatch_run(actor=actor_for_user(manager.user), run_id=run.pk)
    stop = RunStop.objects.get(order=order)
    client = _signed_in(other_driver if run.driver_id == driver.pk else driver)
    assert client.post(f"/driver/stops/{stop.pk}/deliver/", {"code": stop.delivery_code}).status_code == 404
    assert client.post(f"/driver/stops/{stop.pk}/fail/", {"reason": "refused"}).status_code == 404
    assert RunStop.objects.get(pk=stop.pk).state == StopState.PENDING


def test_the_customers_order_page_shows_out_for_delivery_with_the_eta_and_the_code(depot, sku, van, driver, manager):
    from django.utils import timezone

    from o2o.access.actors import actor_for_user
    from o2o.delivery import services
    from o2o.web.auth import MEMBER_SESSION_KEY

    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    services.plan_runs(actor=actor_for_user(manager.user), depot_id=depot.pk, day=timezone.localdate(),
                       now=timezone.localtime().replace(hour=0, minute=0))  # fmt: skip
    services.dispatch_run(actor=actor_for_user(driver.user), run_id=DeliveryRun.objects.get().pk)
    stop = RunStop.objects.get(order=order)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    session = client.session
    session[MEMBER_SESSION_KEY] = order.member_id
    session.save()
    page = client.get(f"/shop/orders/{order.pk}/").content.decode()
    eta = timezone.localtime(stop.planned_arrival).strftime("%H:%M")
    assert f"Out for delivery, arriving about {eta}." in page
    assert f'data-delivery-code="{stop.delivery_code}"' in page
