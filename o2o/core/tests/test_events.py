"""The event bus runs handlers in the order they subscribed, `last` ones after all the others."""

import pytest

from o2o.core import events

EVENT = "test.happened"


@pytest.fixture
def ran(monkeypatch):
    monkeypatch.setitem(events._handlers, EVENT, [])
    monkeypatch.setattr(events, "_last", set())
    return []


def _handler(ran: list, name: str):
    def handle(**payload):
        ran.append((name, payload))

    return handle


def test_handlers_run_in_subscription_order_with_the_payload(ran):
    events.subscribe(EVENT)(_handler(ran, "first"))
    events.subscribe(EVENT)(_handler(ran, "second"))

    events.publish(EVENT, order="o-1")

    assert ran == [("first", {"order": "o-1"}), ("second", {"order": "o-1"})]


def test_last_handlers_run_after_those_subscribed_later_and_keep_their_own_order(ran):
    events.subscribe(EVENT)(_handler(ran, "plain"))
    events.subscribe(EVENT, last=True)(_handler(ran, "draws the number"))
    events.subscribe(EVENT, last=True)(_handler(ran, "tells the number"))
    events.subscribe(EVENT)(_handler(ran, "subscribed after"))

    events.publish(EVENT)

    assert [name for name, _payload in ran] == ["plain", "subscribed after", "draws the number", "tells the number"]


def test_subscribing_a_handler_twice_runs_it_once(ran):
    handler = _handler(ran, "once")
    events.subscribe(EVENT, last=True)(handler)
    events.subscribe(EVENT, last=True)(handler)
    events.subscribe(EVENT)(handler)

    events.publish(EVENT)

    assert ran == [("once", {})]


def test_the_paid_order_draws_its_pickup_number_and_tells_it_after_every_other_reaction():
    from o2o.notifications.handlers import tell_paid
    from o2o.pickup.handlers import issue_voucher_when_paid

    paid = events._handlers[events.ORDER_PAID]

    assert paid[-2:] == [issue_voucher_when_paid, tell_paid]
