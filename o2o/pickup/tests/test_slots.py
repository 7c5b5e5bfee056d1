"""Pickup times within opening hours, on a frozen clock (Asia/Shanghai, the stores' local time)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from o2o.pickup.slots import pickup_slots
from o2o.testing.api import ApiClient
from o2o.testing.factories import LocationFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def starts(location, now, **kwargs) -> list[str]:
    return [
        slot.starts_at.astimezone(SHANGHAI).strftime("%d %H:%M") for slot in pickup_slots(location, now=now, **kwargs)
    ]


def test_a_day_store_offers_half_hours_from_now_plus_preparation_to_closing():
    store = LocationFactory(opens_at=time(9), closes_at=time(21), preparation_minutes=15)

    offered = starts(store, at(1, 17, 50))

    # 17:50 + 15 min = 18:05, rounded up to 18:30; the last slot starts before closing
    assert offered[:6] == ["01 18:30", "01 19:00", "01 19:30", "01 20:00", "01 20:30", "02 09:30"]
    assert offered[-1] == "02 20:30"
    assert len(offered) == 5 + 23  # today's five, and tomorrow's 09:30..20:30


def test_a_time_on_the_half_hour_is_kept():
    store = LocationFactory(opens_at=time(9), closes_at=time(21), preparation_minutes=30)

    assert starts(store, at(1, 12, 0))[0] == "01 12:30"


def test_a_store_closed_now_offers_its_next_opening_plus_preparation():
    store = LocationFactory(opens_at=time(9), closes_at=time(21), preparation_minutes=15)

    # before opening: 09:00 + 15 min -> 09:30 today
    assert starts(store, at(1, 6, 0))[0] == "01 09:30"
    # after closing: nothing left today, tomorrow from 09:30, and the day after is outside two days
    offered = starts(store, at(1, 22, 0))
    assert offered[0] == "02 09:30"
    assert offered[-1] == "02 20:30"


def test_a_store_open_past_midnight_at_23_50_runs_its_slots_to_closing_the_next_day():
    store = LocationFactory(opens_at=time(18), closes_at=time(2), preparation_minutes=15)

    offered = starts(store, at(1, 23, 50))

    # 23:50 + 15 = 00:05 -> 00:30, 01:00, 01:30 (the store closes at 02:00), then tonight from 18:30
    assert offered[:4] == ["02 00:30", "02 01:00", "02 01:30", "02 18:30"]
    assert offered[-1] == "03 01:30"


def test_a_store_open_past_midnight_at_01_40_offers_tonight():
    store = LocationFactory(opens_at=time(18), closes_at=time(2), preparation_minutes=15)

    offered = starts(store, at(2, 1, 40))

    # 01:40 + 15 = 01:55 -> 02:00, which is closing time: nothing more tonight; from 18:30 on
    assert offered[0] == "02 18:30"
    assert "02 02:00" not in offered
    assert offered[-1] == "04 01:30"  # tomorrow's opening runs to 02:00 the day after


def test_a_store_open_round_the_clock_offers_every_half_hour():
    store = LocationFactory(opens_at=time(0), closes_at=time(0), preparation_minutes=20)

    offered = starts(store, at(1, 23, 50))

    assert offered[:3] == ["02 00:30", "02 01:00", "02 01:30"]
    assert len(offered) == len(set(offered))
    assert offered[-1] == "02 23:30"


def test_the_api_lists_times_with_the_opening_hours_on_a_frozen_clock():
    store = LocationFactory(opens_at=time(18), closes_at=time(2), preparation_minutes=15, pickup_slot_capacity=3)

    with time_machine.travel(at(1, 23, 50), tick=False):
        response = ApiClient().get(f"pickup/stores/{store.pk}/slots")

    assert response.status_code == 200
    body = response.json()
    assert (body["opens_at"], body["closes_at"], body["open_now"]) == ("18:00:00", "02:00:00", True)
    assert body["slots"][0] == {
        "starts_at": "2026-12-02T00:30:00+08:00",
        "ends_at": "2026-12-02T01:00:00+08:00",
        "remaining": 3,
    }


def test_an_unknown_store_has_no_pickup_times():
    response = ApiClient().get("pickup/stores/999999/slots")

    assert response.status_code == 404
