"""Race tests on PostgreSQL: two drivers' phones at one stop, two planners at one depot."""

import pytest

from o2o.access.actors import actor_for_user
from o2o.delivery import services
from o2o.delivery.models import DeliveryRun, RunStop, StopState
from o2o.delivery.tests.conftest import packed_order
from o2o.orders.models import Order, OrderState
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres]


@pytest.mark.django_db(transaction=True)
def test_delivering_one_stop_twice_at_once_delivers_it_once(depot, sku, van, driver, manager, tomorrow):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    [run] = services.plan_runs(actor=actor_for_user(manager.user), depot_id=depot.pk, day=tomorrow)
    services.dispatch_run(actor=actor_for_user(driver.user), run_id=run.pk)
    stop = RunStop.objects.get(order=order)
    as_driver, as_manager = actor_for_user(driver.user), actor_for_user(manager.user)
    outcomes = run_together([
        lambda: services.deliver_stop(actor=as_driver, stop_id=stop.pk, code=stop.delivery_code),
        lambda: services.deliver_stop(actor=as_manager, stop_id=stop.pk, code=stop.delivery_code),
        lambda: services.fail_stop(actor=as_driver, stop_id=stop.pk, reason="nobody_home"),
    ])  # fmt: skip
    assert len(values(outcomes)) == 1
    assert [e.code for e in domain_errors(outcomes)] == ["illegal_transition"] * 2
    stop.refresh_from_db()
    assert stop.state in (StopState.DELIVERED, StopState.FAILED)
    delivered = Order.objects.get(pk=order.pk).transitions.filter(to_state=OrderState.DELIVERED).count()
    assert delivered == (1 if stop.state == StopState.DELIVERED else 0)


@pytest.mark.django_db(transaction=True)
def test_planning_a_depot_twice_at_once_gives_one_stop_per_order(depot, sku, van, driver, manager, tomorrow):
    orders = [packed_order(depot, sku, a) for a in ("上海市黄浦区人民大道200号", "上海市徐汇区衡山路10号")]
    day = tomorrow
    actor = actor_for_user(manager.user)
    outcomes = run_together([lambda: services.plan_runs(actor=actor, depot_id=depot.pk, day=day)] * 2)
    assert domain_errors(outcomes) == []
    assert DeliveryRun.objects.count() == 1
    assert sorted(RunStop.objects.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
