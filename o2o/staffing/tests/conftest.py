from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from o2o.staff.models import Role
from o2o.stores.models import Region
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, LocationFactory


@pytest.fixture
def region():
    return Region.objects.create(code="SH", name="上海")


@pytest.fixture
def borrower(region):
    """The store short of hands."""
    return LocationFactory(name="人民广场店", region=region, latitude=31.2304, longitude=121.4737)


@pytest.fixture
def lender(region):
    """A nearby store of the same region (about 5 km away)."""
    return LocationFactory(name="徐家汇店", region=region, latitude=31.1955, longitude=121.4365)


@pytest.fixture
def far_store():
    """A store of another region (Hangzhou)."""
    return LocationFactory(name="西湖店", latitude=30.2741, longitude=120.1551)


@pytest.fixture
def borrower_manager(borrower):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=borrower, display_name="王店长")


@pytest.fixture
def lender_manager(lender):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=lender, display_name="李店长")


@pytest.fixture
def lent_clerk(lender):
    return EmployeeFactory(role=Role.CLERK, home_location=lender, display_name="小张")


@pytest.fixture
def asking(borrower_manager):
    return as_staff(borrower_manager)


@pytest.fixture
def lending(lender_manager):
    return as_staff(lender_manager)


def window(start_in_hours: float = 2, hours: float = 8) -> tuple[datetime, datetime]:
    starts = timezone.now().replace(microsecond=0) + timedelta(hours=start_in_hours)
    return starts, starts + timedelta(hours=hours)


def request_body(location, *, role=Role.CLERK, headcount=1, start_in_hours=2, hours=8, note="周末促销") -> dict:
    starts, ends = window(start_in_hours, hours)
    return {
        "location_id": location.pk,
        "role": str(role),
        "headcount": headcount,
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
        "note": note,
    }


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock forward: `clock(hours=12)` and everything that asks timezone.now() is later."""
    real_now = timezone.now

    def move(**delta) -> None:
        moved = real_now() + timedelta(**delta)
        monkeypatch.setattr(timezone, "now", lambda: moved)

    return move
