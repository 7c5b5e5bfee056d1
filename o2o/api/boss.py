"""The owner's view ("boss online"), read-only: stores, teams and employees over a period, and the
rows behind each figure. Every number comes from o2o.analytics.staff_performance (docs/boss.md).

HQ sees every store, a regional supervisor their region, a store manager their store; other roles
403; a store or employee outside the caller's scope 404.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from o2o.analytics import staff_performance as boss
from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id

router = Router(tags=["boss"])


class PeriodQuery(Schema):
    period: Literal["today", "week", "month", "range"] | None = None
    since: date | None = None
    until: date | None = None

    def window(self) -> boss.Window:
        return boss.window(period=self.period, since=self.since, until=self.until)


class WindowOut(Schema):
    period: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime


class FiguresOut(Schema):
    credited_sales: Decimal
    credited_lines: int
    orders: int
    revenue: Decimal
    members_acquired: int
    share_visits: int
    share_visitors: int
    share_orders: int
    share_revenue: Decimal
    conversion: Decimal | None = Field(description="share-link orders per visitor; null when nobody visited")
    materials_shared: int
    material_opens: int
    material_leads: int
    tasks_assigned: int
    tasks_done: int
    tasks_overdue: int
    hours_lent: Decimal
    hours_borrowed: Decimal
    praise: int = Field(description="praise attributed by customer service (tickets opened in the period)")
    suggestions: int
    complaints: int
    survey_answers: int = Field(description="follow-up survey answers rating them, answered in the period")
    survey_score: Decimal | None = Field(description="their average score (1-5); null without answers")


class ChannelOut(Schema):
    channel: str
    orders: int
    revenue: Decimal


class StoreOut(Schema):
    location_id: int
    code: str
    name: str
    kind: str
    figures: FiguresOut
    staff_credited_sales: Decimal
    franchise_share: Decimal
    by_channel: list[ChannelOut]


class TeamOut(Schema):
    team_id: int | None
    name: str
    figures: FiguresOut
    employee_ids: list[int]


class EmployeeOut(Schema):
    employee_id: int
    name: str
    role: str
    location_id: int | None
    team_id: int | None
    team_name: str
    figures: FiguresOut


class OverviewOut(Schema):
    window: WindowOut
    totals: FiguresOut
    stores: list[StoreOut]
    teams: list[TeamOut]


class StoreDetailOut(Schema):
    window: WindowOut
    store: StoreOut
    teams: list[TeamOut]
    employees: list[EmployeeOut]


class EmployeeDetailOut(Schema):
    window: WindowOut
    employee: EmployeeOut


class CreditOut(Schema):
    id: int
    order_id: int
    order_number: str
    line_id: int
    sku: str
    touchpoint: str
    party: str
    redirected_from: str
    percent: Decimal
    quantity: int
    amount: Decimal
    kind: str
    occurred_at: datetime

    @staticmethod
    def resolve_order_number(obj) -> str:
        return obj.order.number

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.line.sku.code


class OrderOut(Schema):
    id: int
    number: str
    channel: str
    fulfilment: str
    state: str
    total: Decimal
    refunded_total: Decimal
    revenue: Decimal
    paid_at: datetime

    @staticmethod
    def resolve_revenue(obj) -> Decimal:
        return obj.total - obj.refunded_total


def _store(row: boss.StoreRow) -> dict:
    by_channel = [{"channel": k, "orders": n, "revenue": r} for k, (n, r) in sorted(row.by_channel.items())]
    return {**vars(row), "by_channel": by_channel}


@router.get("/stores", response=OverviewOut)
def stores(request: HttpRequest, q: Query[PeriodQuery]):
    """Every store in the caller's scope: orders and revenue by channel, credited sales (the store's
    own and its employees'), members acquired; the teams; the totals."""
    scope = boss.boss_scope(actor(request))
    data = boss.overview(location_ids=scope, w=q.window())
    return {
        "window": data.window,
        "totals": data.totals,
        "stores": [_store(s) for s in data.stores],
        "teams": data.teams,
    }


@router.get("/stores/{location_id}", response=StoreDetailOut)
def store(request: HttpRequest, location_id: Id, q: Query[PeriodQuery]):
    """One store: its figures, its teams and every employee whose home store it is."""
    location = boss.store_for(actor(request), location_id)
    w = q.window()
    data = boss.store_view(location=location, w=w)
    return {"window": w, "store": _store(data.store), "teams": data.teams, "employees": data.employees}


@router.get("/stores/{location_id}/orders", response=list[OrderOut])
@paginate(CursorPagination, ordering=("id",))
def store_orders(request: HttpRequest, location_id: Id, q: Query[PeriodQuery]):
    """The paid orders behind the store's orders and revenue (revenue = total - refunded)."""
    location = boss.store_for(actor(request), location_id)
    return boss.store_orders(location=location, w=q.window())


@router.get("/stores/{location_id}/credits", response=list[CreditOut])
@paginate(CursorPagination, ordering=("id",))
def store_credits(request: HttpRequest, location_id: Id, q: Query[PeriodQuery]):
    """The credited lines behind the store's own credited sales."""
    location = boss.store_for(actor(request), location_id)
    return boss.store_credits(location=location, w=q.window())


@router.get("/employees/{employee_id}", response=EmployeeDetailOut)
def employee(request: HttpRequest, employee_id: Id, q: Query[PeriodQuery]):
    """One employee's figures over the period."""
    found = boss.employee_for(actor(request), employee_id)
    w = q.window()
    return {"window": w, "employee": boss.employee_view(employee=found, w=w)}


@router.get("/employees/{employee_id}/orders", response=list[CreditOut])
@paginate(CursorPagination, ordering=("id",))
def employee_orders(request: HttpRequest, employee_id: Id, q: Query[PeriodQuery]):
    """The credited order lines behind the employee's credited sales: their amounts add up to it."""
    found = boss.employee_for(actor(request), employee_id)
    return boss.employee_credits(employee=found, w=q.window())
