from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from o2o.analytics import selectors
from o2o.analytics.selectors import Period
from o2o.api.auth import actor

router = Router(tags=["analytics"])


class TotalsOut(Schema):
    sales: Decimal
    orders: int
    average_order_value: Decimal
    new_members: int
    pickups_waiting: int
    pickups_overdue: int


class StoreOut(Schema):
    location_id: int | None
    code: str
    name: str
    sales: Decimal
    orders: int
    average_order_value: Decimal
    new_members: int
    pickups_waiting: int
    pickups_overdue: int


class SliceOut(Schema):
    key: str
    sales: Decimal
    orders: int


class AcquirerOut(Schema):
    id: int | None
    name: str
    location_name: str
    members: int


class DashboardOut(Schema):
    period: Period
    start: datetime
    end: datetime
    totals: TotalsOut
    by_store: list[StoreOut]
    by_channel: list[SliceOut]
    by_channel_group: list[SliceOut]
    by_fulfilment: list[SliceOut]
    new_members_by_store: list[AcquirerOut]
    new_members_by_employee: list[AcquirerOut]


@router.get("/dashboard", response=DashboardOut)
def dashboard(request: HttpRequest, period: Period = Period.TODAY):
    """HQ and regional supervisors: sales, orders, new members and pickups of their stores over whole
    local days (today, the last 7 or 30 days). Sales are paid orders net of refunds; pickups are now."""
    location_ids = selectors.dashboard_scope(actor(request))
    start, end = selectors.period_bounds(period)
    return {"period": period, **vars(selectors.dashboard(location_ids=location_ids, start=start, end=end))}
