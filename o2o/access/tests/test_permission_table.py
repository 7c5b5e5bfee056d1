"""Every operation of the API, for every role, at its own location and at another, against the table.

The operations are enumerated from the API's OpenAPI schema: a new write endpoint without a case
here (or a reason in PUBLIC) makes `test_every_write_operation_of_the_api_is_walked` fail. Each
case builds fresh data, calls the endpoint as each role (every Role value, a member, an anonymous
caller), and compares the outcome with `may()`: allowed is a 2xx, refused a 401/403/404 (never a
4xx that would hide a missing check, never a 5xx). docs/permissions.md shows the same table.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from o2o.access.actors import SYSTEM, Actor, actor_for_member, actor_for_user
from o2o.access.permissions import MEMBER, PERMISSIONS, Operation, matrix_markdown, may
from o2o.api.main import api
from o2o.inventory.services import receive_stock, send_transfer
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, dispatch_order, place_order
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.staff.models import CHAIN_WIDE_ROLES, Role
from o2o.stores.models import Location
from o2o.testing.api import ApiClient
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online, payment_code_of, place_counter_sale

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
CALLERS = [*Role, MEMBER, ANONYMOUS]
WHERE = ("own", "other")

# Write endpoints open to anyone, with why no role decides them.
PUBLIC = {
    "POST /api/v1/auth/staff-token": "signing in",
    "POST /api/v1/auth/otp": "asking for a sign-in code",
    "POST /api/v1/auth/member-token": "signing in",
    "POST /api/v1/members/join/code": "a walk-in customer asks for a join code",
    "POST /api/v1/members/join": "a walk-in customer joins with the code",
    "POST /api/v1/payments/callbacks/{gateway}": "the gateway, proven by its signature",
    "POST /api/v1/payments/simulator/{gateway_ref}": "the development gateway simulator (off in production)",
    "POST /api/v1/orders/quote": "a price quote, a read: anonymous callers get public list prices (docs/pricing.md)",
}


@dataclass
class World:
    own: Location  # the caller's home store (and region)
    other: Location  # a store of another region
    sku_id: int

    def at(self, where: str) -> Location:
        return self.own if where == "own" else self.other


@dataclass
class Caller:
    kind: str
    actor: Actor | None
    client: ApiClient

    @property
    def member(self):
        return self.actor.member if self.actor else None


@dataclass(frozen=True)
class Case:
    operation: Operation
    endpoint: str
    # Builds what the call needs at `target` (for `caller`); returns (path, body) of the request.
    prepare: Callable[[World, Location, Caller], tuple[str, dict | None]]
    # The location the table is asked about: the target ("target"), the caller's home store
    # ("home"), or none: the operation is not tied to a place ("none").
    asked_at: str = "target"
    # A member acts on orders: their own at "own", another member's at "other".
    on_orders: bool = True


def _stock(world: World, location: Location, quantity: int = 20) -> None:
    receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=world.sku_id, quantity=quantity)


def _owner(caller: Caller, target: Location, world: World):
    """The member whose order it is: the calling member's own at their own store, else a stranger."""
    return caller.member if caller.member is not None and target == world.own else MemberFactory()


def _online_order(world: World, target: Location, caller: Caller, fulfilment: str = "pickup") -> Order:
    _stock(world, target)
    member = _owner(caller, target, world)
    address = "上海市黄浦区南京东路1号" if fulfilment == "delivery" else ""
    request = OrderRequest(channel="app", fulfilment=fulfilment, fulfilment_location_id=target.pk,
                           lines=[LineRequest(world.sku_id, 1)], delivery_address=address)  # fmt: skip
    return place_order(actor=actor_for_member(member), member=member, request=request)


def _clerk_of(location: Location, role: Role = Role.CLERK):
    return EmployeeFactory(role=role, home_location=location)


def _handed_over(world: World, target: Location, caller: Caller) -> Order:
    order = pay_online(_online_order(world, target, caller))
    voucher = PickupVoucher.objects.get(order=order)
    redeem_pickup_voucher(actor=actor_for_user(_clerk_of(target).user), presented=voucher.code)
    return order


def _voucher(world, target, caller) -> str:
    return PickupVoucher.objects.get(order=pay_online(_online_order(world, target, caller))).code


def _order_path(action: str, order_of: Callable) -> Callable:
    def prepare(world, target, caller):
        return f"orders/{order_of(world, target, caller).pk}/{action}", None

    return prepare


def _unpaid(world, target, caller):
    return _online_order(world, target, caller)


def _paid(world, target, caller):
    return pay_online(_online_order(world, target, caller))


def _paid_delivery(world, target, caller):
    return pay_online(_online_order(world, target, caller, fulfilment="delivery"))


def _out_for_delivery(world, target, caller):
    order = _paid_delivery(world, target, caller)
    dispatch_order(actor=SYSTEM, order=order)
    return order


def _return_all(world, target, caller):
    order = _handed_over(world, target, caller)
    lines = [{"line_id": line.pk, "quantity": line.quantity} for line in order.lines.all()]
    return f"orders/{order.pk}/returns", {"lines": lines, "reason": "changed mind"}


def _pay_in_store(world, target, caller):
    _stock(world, target)
    order = place_counter_sale(clerk=_clerk_of(target), sku=_sku(world))
    return f"payments/orders/{order.pk}/in-store", {"method": "cash"}


def _pay_online(world, target, caller):
    return f"payments/orders/{_online_order(world, target, caller).pk}/online", None


def _pay_from_balance(world, target, caller):
    """The order's member pays it all from stored value topped up at the counter."""
    from o2o.wallet.services import top_up_at_counter

    order = _online_order(world, target, caller)
    top_up_at_counter(actor=actor_for_user(_clerk_of(target).user), location_id=target.pk, amount="100.00",
                      method="cash", member_id=order.member_id)  # fmt: skip
    return f"payments/orders/{order.pk}/tenders", {"tenders": [{"method": "wallet"}]}


def _pay_counter_tenders(world, target, caller):
    _stock(world, target)
    order = place_counter_sale(clerk=_clerk_of(target), sku=_sku(world))
    tenders = [{"method": "card", "amount": "2.00"}, {"method": "cash"}]
    return f"payments/orders/{order.pk}/tenders", {"tenders": tenders}


def _sku(world):
    from o2o.catalog.models import SKU

    return SKU.objects.get(pk=world.sku_id)


def _counter_order(world, target, caller):
    """A POS sale by the caller, picked up at the target (the endless aisle when it is another store)."""
    _stock(world, target)
    body = {"channel": "pos", "fulfilment": "pickup", "location_id": target.pk,
            "lines": [{"sku_id": world.sku_id, "quantity": 1}]}  # fmt: skip
    return "orders", body


def _discounted_counter_order(world, target, caller):
    """A POS sale by the caller at their own store, with a manual discount off it."""
    path, body = _counter_order(world, target, caller)
    return path, {**body, "manual_discount": {"amount": "1.00", "reason": "scratched box"}}


def _online_order_body(world, target, caller):
    _stock(world, target)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": target.pk,
            "lines": [{"sku_id": world.sku_id, "quantity": 1}]}  # fmt: skip
    return "orders", body


def _undo(world, target, caller):
    order = _handed_over(world, target, caller)
    return f"pickup/vouchers/{PickupVoucher.objects.get(order=order).pk}/undo", {"reason": "handed to the wrong person"}


def _receipt(world, target, caller):
    return "inventory/receipts", {"location_id": target.pk, "sku_id": world.sku_id, "quantity": 3}


def _write_off(world, target, caller):
    _stock(world, target)
    return "inventory/adjustments", {"location_id": target.pk, "sku_id": world.sku_id, "delta": -1, "reason": "broken"}


def _count(world, target, caller):
    _stock(world, target)
    return "inventory/counts", {"location_id": target.pk, "sku_id": world.sku_id, "counted": 7}


def _send(world, target, caller):
    _stock(world, target)
    destination = world.other if target == world.own else world.own
    lines = [{"sku_id": world.sku_id, "quantity": 2}]
    return "inventory/transfers", {"source_id": target.pk, "destination_id": destination.pk, "lines": lines}


def _receive_transfer(world, target, caller):
    source = world.other if target == world.own else world.own
    _stock(world, source)
    transfer = send_transfer(actor=SYSTEM, source_id=source.pk, destination_id=target.pk, lines={world.sku_id: 2})
    return f"inventory/transfers/{transfer.id}/receive", None


_days_back = itertools.count(1)


def _close_day(world, target, caller):
    """A close of a past day nobody has closed yet (each call its own day)."""
    from o2o.cashbook.days import today

    day = today() - timedelta(days=next(_days_back))
    return f"cashbook/locations/{target.pk}/closes", {"business_date": day.isoformat(), "counted_cash": "0.00"}


_phones = itertools.count(13900000000)


def _register(world, target, caller):
    return "members", {"phone": f"+86{next(_phones)}", "name": "王芳"}


def _lookup(world, target, caller):
    member = MemberFactory()
    return f"members/lookup?phone={member.phone.replace('+', '%2B')}", None


def _delete(world, target, caller):
    """A member confirms with the code sent to their phone; anyone else sends some code."""
    from o2o.privacy.services import send_deletion_code
    from o2o.testing.outbox import last_code_sent_to

    if caller.member is None:
        return "privacy/deletion", {"code": "123456"}
    send_deletion_code(actor=caller.actor)
    return "privacy/deletion", {"code": last_code_sent_to(caller.member.phone)}


def _funded_member(target):
    """A member with 100.00 principal, topped up at the target's counter."""
    from o2o.wallet.services import top_up_at_counter

    member = MemberFactory()
    clerk = _clerk_of(target)
    top_up_at_counter(actor=actor_for_user(clerk.user), location_id=target.pk, amount="100.00", method="cash",
                      member_id=member.pk)  # fmt: skip
    return member


def _counter_top_up(world, target, caller):
    body = {"location_id": target.pk, "amount": "50.00", "method": "cash", "member_phone": MemberFactory().phone}
    return "wallet/counter/top-ups", body


def _unfreeze(world, target, caller):
    from o2o.wallet.services import freeze_wallet

    member = MemberFactory()
    freeze_wallet(actor=SYSTEM, member_id=member.pk, reason="under review")
    return f"wallet/members/{member.pk}/unfreeze", None


def _principal_refund(world, target, caller):
    body = {"amount": "10.00", "reason": "member asked", "location_id": target.pk}
    return f"wallet/members/{_funded_member(target).pk}/principal-refunds", body


_tier_amounts = itertools.count(100)


def _tier_active(world, target, caller):
    from o2o.wallet.models import TopUpTier

    tier = TopUpTier.objects.create(pay_amount=Decimal(next(_tier_amounts)), bonus_amount=Decimal("5.00"))
    return f"wallet/tiers/{tier.pk}/active", {"active": False}


def _big_order(world, target, caller) -> Order:
    """An online order of 1000.00 at the target: big enough for a store credit plan."""
    sku = SKUFactory(price=Decimal("1000.00"))
    receive_stock(actor=SYSTEM, location_id=target.pk, sku_id=sku.pk, quantity=2)
    member = _owner(caller, target, world)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=target.pk,
                           lines=[LineRequest(sku.pk, 1)])  # fmt: skip
    return place_order(actor=actor_for_member(member), member=member, request=request)


def _plan_request(world, target, caller):
    """A plan for the target's order: a clerk scans the member's payment code (their consent)."""
    order = _big_order(world, target, caller)
    body = {"periods": 3} | ({} if caller.member is not None else {"member_code": payment_code_of(order.member)})
    return f"installments/orders/{order.pk}/plan", body


def _plan(world, target, caller):
    from o2o.installments.services import PlanRequest, set_up_plan

    plan = set_up_plan(actor=SYSTEM, order=_big_order(world, target, caller), request=PlanRequest(periods=3))
    return plan.pk


_level_ranks = itertools.count(100)


def _level(world, target, caller):
    rank = next(_level_ranks)
    return "loyalty/levels", {"code": f"level-{rank}", "name": f"等级{rank}", "rank": rank, "min_growth": rank * 1000}


def _category_rule(world, target, caller):
    from o2o.testing.factories import CategoryFactory

    return "loyalty/category-rules", {"category_id": CategoryFactory().pk, "multiplier": "2.00"}


# preparation (docs/preparation.md): a paid order in the target store's queue, at the step each call needs
def _preparation(world, target, caller, *, fulfilment="pickup", step="queued") -> int:
    from o2o.preparation.services import accept_preparation
    from o2o.testing.preparation import pick_everything

    order = pay_online(_online_order(world, target, caller, fulfilment=fulfilment))
    if step == "accepted":
        accept_preparation(actor=SYSTEM, preparation_id=order.preparation.pk)
    elif step == "picked":
        pick_everything(order)
    return order.preparation.pk


def _shortage(world, target, caller):
    preparation_id = _preparation(world, target, caller, step="accepted")
    line_id = Order.objects.get(preparation__pk=preparation_id).lines.get().pk
    return f"preparations/{preparation_id}/shortages", {"line_id": line_id, "available": 0}


CASES = [
    Case(Operation.PLACE_ONLINE_ORDER, "POST /api/v1/orders", _online_order_body, asked_at="none", on_orders=False),
    Case(Operation.PLACE_COUNTER_ORDER, "POST /api/v1/orders", _counter_order, asked_at="home", on_orders=False),
    Case(Operation.APPLY_MANUAL_DISCOUNT, "POST /api/v1/orders", _discounted_counter_order, asked_at="home",
         on_orders=False),  # fmt: skip
    Case(Operation.TAKE_COUNTER_PAYMENT, "POST /api/v1/payments/orders/{order_id}/in-store", _pay_in_store),
    Case(Operation.PAY_ONLINE, "POST /api/v1/payments/orders/{order_id}/online", _pay_online),
    Case(Operation.PAY_FROM_BALANCE, "POST /api/v1/payments/orders/{order_id}/tenders", _pay_from_balance),
    Case(Operation.TAKE_COUNTER_PAYMENT, "POST /api/v1/payments/orders/{order_id}/tenders", _pay_counter_tenders),
    Case(Operation.CANCEL_UNPAID_ORDER, "POST /api/v1/orders/{order_id}/cancel", _order_path("cancel", _unpaid)),
    Case(Operation.CANCEL_PAID_ORDER, "POST /api/v1/orders/{order_id}/cancel", _order_path("cancel", _paid)),
    Case(Operation.RETURN_GOODS, "POST /api/v1/orders/{order_id}/returns", _return_all),
    Case(Operation.DISPATCH_ORDER, "POST /api/v1/orders/{order_id}/dispatch", _order_path("dispatch", _paid_delivery)),
    Case(
        Operation.CONFIRM_DELIVERY,
        "POST /api/v1/orders/{order_id}/delivered",
        _order_path("delivered", _out_for_delivery),
    ),
    Case(
        Operation.REDEEM_PICKUP_VOUCHER,
        "POST /api/v1/pickup/verify",
        lambda w, t, c: ("pickup/verify", {"code": _voucher(w, t, c)}),
    ),  # fmt: skip
    Case(
        Operation.REDEEM_PICKUP_VOUCHER,
        "POST /api/v1/pickup/redeem",
        lambda w, t, c: ("pickup/redeem", {"code": _voucher(w, t, c)}),
    ),  # fmt: skip
    Case(Operation.UNDO_HAND_OVER, "POST /api/v1/pickup/vouchers/{voucher_id}/undo", _undo),
    Case(Operation.RECEIVE_STOCK, "POST /api/v1/inventory/receipts", _receipt, on_orders=False),
    Case(Operation.ADJUST_STOCK, "POST /api/v1/inventory/adjustments", _write_off, on_orders=False),
    Case(Operation.COUNT_STOCK, "POST /api/v1/inventory/counts", _count, on_orders=False),
    Case(Operation.SEND_TRANSFER, "POST /api/v1/inventory/transfers", _send, on_orders=False),
    Case(
        Operation.RECEIVE_TRANSFER,
        "POST /api/v1/inventory/transfers/{transfer_id}/receive",
        _receive_transfer,
        on_orders=False,
    ),
    Case(Operation.REGISTER_MEMBER_AT_COUNTER, "POST /api/v1/members", _register, asked_at="home", on_orders=False),
    Case(
        Operation.SET_UP_INSTALLMENT_PLAN,
        "POST /api/v1/installments/orders/{order_id}/plan",
        _plan_request,
    ),  # fmt: skip
    Case(
        Operation.TAKE_INSTALLMENT_REPAYMENT,
        "POST /api/v1/installments/plans/{plan_id}/repayments",
        lambda w, t, c: (f"installments/plans/{_plan(w, t, c)}/repayments", {"amount": "100.00", "method": "cash"}),
    ),  # fmt: skip
    Case(
        Operation.TAKE_INSTALLMENT_REPAYMENT,
        "POST /api/v1/installments/plans/{plan_id}/settle",
        lambda w, t, c: (f"installments/plans/{_plan(w, t, c)}/settle", {"method": "card"}),
    ),  # fmt: skip
    Case(
        Operation.VIEW_OVERDUE_INSTALLMENTS,
        "GET /api/v1/installments/overdue",
        lambda w, t, c: ("installments/overdue", None),
        asked_at="none",
        on_orders=False,
    ),  # fmt: skip
    Case(
        Operation.TOP_UP_OWN_WALLET,
        "POST /api/v1/wallet/top-ups",
        lambda w, t, c: ("wallet/top-ups", {"amount": "100.00"}),
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.TOP_UP_OWN_WALLET,
        "POST /api/v1/wallet/payment-code",
        lambda w, t, c: ("wallet/payment-code", None),
        asked_at="none",
        on_orders=False,
    ),
    Case(Operation.TOP_UP_AT_COUNTER, "POST /api/v1/wallet/counter/top-ups", _counter_top_up, on_orders=False),
    Case(
        Operation.FREEZE_WALLET,
        "POST /api/v1/wallet/members/{member_id}/freeze",
        lambda w, t, c: (f"wallet/members/{MemberFactory().pk}/freeze", {"reason": "chargeback under review"}),
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.FREEZE_WALLET,
        "POST /api/v1/wallet/members/{member_id}/unfreeze",
        _unfreeze,
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.REFUND_WALLET_PRINCIPAL,
        "POST /api/v1/wallet/members/{member_id}/principal-refunds",
        _principal_refund,
        on_orders=False,
    ),
    Case(
        Operation.MANAGE_TOP_UP_TIERS,
        "POST /api/v1/wallet/tiers",
        lambda w, t, c: ("wallet/tiers", {"pay_amount": str(next(_tier_amounts)), "bonus_amount": "5.00"}),
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.MANAGE_TOP_UP_TIERS,
        "POST /api/v1/wallet/tiers/{tier_id}/active",
        _tier_active,
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.VIEW_WALLET_LIABILITIES,
        "GET /api/v1/wallet/liabilities",
        lambda w, t, c: ("wallet/liabilities", None),
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.DELETE_MY_ACCOUNT,
        "POST /api/v1/privacy/deletion/code",
        lambda w, t, c: ("privacy/deletion/code", None),
        asked_at="none",
        on_orders=False,
    ),
    Case(Operation.DELETE_MY_ACCOUNT, "POST /api/v1/privacy/deletion", _delete, asked_at="none", on_orders=False),
    Case(
        Operation.MANAGE_MY_CONSENT,
        "POST /api/v1/privacy/consent",
        lambda w, t, c: ("privacy/consent", {"given": True}),
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.CLOSE_BUSINESS_DAY,
        "POST /api/v1/cashbook/locations/{location_id}/closes",
        _close_day,
        on_orders=False,
    ),
    Case(
        Operation.VIEW_CASHBOOK,
        "GET /api/v1/cashbook/locations/{location_id}/takings",
        lambda w, t, c: (f"cashbook/locations/{t.pk}/takings?business_date=2026-01-05", None),
        on_orders=False,
    ),  # fmt: skip
    Case(Operation.VIEW_STAFF_PERFORMANCE, "GET /api/v1/boss/stores/{location_id}",
         lambda w, t, c: (f"boss/stores/{t.pk}", None), on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_LOYALTY_RULES, "POST /api/v1/loyalty/levels", _level, asked_at="none", on_orders=False),
    Case(
        Operation.MANAGE_LOYALTY_RULES,
        "POST /api/v1/loyalty/category-rules",
        _category_rule,
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.ADJUST_POINTS,
        "POST /api/v1/loyalty/adjustments",
        lambda w, t, c: ("loyalty/adjustments", {"member_id": MemberFactory().pk, "points": 100, "reason": "goodwill"}),
        asked_at="none",
        on_orders=False,
    ),
    # Reads that the table decides as well.
    Case(
        Operation.VIEW_POINTS_LIABILITY,
        "GET /api/v1/loyalty/liability",
        lambda w, t, c: ("loyalty/liability", None),
        asked_at="none",
        on_orders=False,
    ),
    Case(
        Operation.EXPORT_MY_DATA,
        "GET /api/v1/privacy/export",
        lambda w, t, c: ("privacy/export", None),
        asked_at="none",
        on_orders=False,
    ),
    Case(Operation.LOOK_UP_MEMBER, "GET /api/v1/members/lookup", _lookup, asked_at="none", on_orders=False),
    Case(
        Operation.VIEW_STOCK,
        "GET /api/v1/inventory/locations/{location_id}/stock",
        lambda w, t, c: (f"inventory/locations/{t.pk}/stock", None),
        on_orders=False,
    ),  # fmt: skip
    Case(
        Operation.AUDIT,
        "GET /api/v1/inventory/audit",
        lambda w, t, c: ("inventory/audit", None),
        asked_at="none",
        on_orders=False,
    ),  # fmt: skip
]


# automatic promotions (docs/promotions.md)
def _promotion_body(world, target, caller) -> dict:
    return {"name": "满100减10", "kind": "spend_tiers", "starts_at": "2026-01-01T00:00:00+08:00",
            "tiers": [{"threshold": "100.00", "amount_off": "10.00"}]}  # fmt: skip


def _promotion_active(world, target, caller):
    from datetime import UTC, datetime

    from o2o.promotions.services import PromotionSpec, create_promotion

    spec = PromotionSpec(name="九折", kind="category_percent", starts_at=datetime.now(tz=UTC), percent=Decimal(10),
                         sku_ids=(world.sku_id,))  # fmt: skip
    return f"promotions/{create_promotion(actor=SYSTEM, spec=spec).pk}/active", {"active": True}


def _promotion_preview(world, target, caller):
    lines = [{"sku_id": world.sku_id, "quantity": 10}]
    return "promotions/preview", {"promotion": _promotion_body(world, target, caller), "channel": "app", "lines": lines}


CASES += [
    Case(Operation.MANAGE_PROMOTIONS, "POST /api/v1/promotions", lambda w, t, c: ("promotions", _promotion_body(w, t, c)),  # noqa: E501
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_PROMOTIONS, "POST /api/v1/promotions/{promotion_id}/active", _promotion_active,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_PROMOTIONS, "POST /api/v1/promotions/preview", _promotion_preview, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_PROMOTIONS, "GET /api/v1/promotions", lambda w, t, c: ("promotions", None), asked_at="none",
         on_orders=False),  # fmt: skip
]

# referral, red packets, check-ins (docs/rewards.md)
PUBLIC.update({
    "POST /api/v1/rewards/referrals/sign-up": "a new customer signs up through a share link with a proven phone",
    "POST /api/v1/rewards/check-ins/{code}/join": "a walk-in joins at a store's check-in QR with a proven phone",
})  # fmt: skip


def _now():
    from django.utils import timezone

    return timezone.now()


def _rewards_campaign():
    from o2o.pricing.models import Campaign

    return Campaign.objects.create(name="check-in week", starts_at=_now() - timedelta(days=1))


def _rewards_window() -> dict:
    now = _now()
    return {"starts_at": (now - timedelta(minutes=1)).isoformat(), "ends_at": (now + timedelta(days=1)).isoformat()}


def _red_packet_body(world, target, caller):
    body = {"campaign_id": _rewards_campaign().pk, "name": "红包", "kind": "wallet_credit", "shares": 3,
            "budget": "3.00", **_rewards_window()}  # fmt: skip
    return "rewards/red-packets", body


def _red_packet_claim(world, target, caller):
    from o2o.rewards.models import RewardKind
    from o2o.rewards.services import RedPacketSpec, create_red_packet

    spec = RedPacketSpec(campaign_id=_rewards_campaign().pk, name="红包", kind=RewardKind.WALLET_CREDIT, shares=2,
                         budget=Decimal("2.00"), starts_at=_now() - timedelta(minutes=1),
                         ends_at=_now() + timedelta(days=1))  # fmt: skip
    return f"rewards/red-packets/{create_red_packet(actor=SYSTEM, spec=spec).code}/claim", {}


def _check_in_point_body(world, target, caller):
    body = {"campaign_id": _rewards_campaign().pk, "location_id": target.pk, "name": "到店打卡",
            "reward": {"points": 10}, **_rewards_window()}  # fmt: skip
    return "rewards/check-in-points", body


def _check_in(world, target, caller):
    from o2o.rewards.services import CheckInPointSpec, Reward, create_check_in_point

    spec = CheckInPointSpec(campaign_id=_rewards_campaign().pk, location_id=target.pk, name="到店打卡",
                            reward=Reward(points=10), starts_at=_now() - timedelta(minutes=1),
                            ends_at=_now() + timedelta(days=1))  # fmt: skip
    return f"rewards/check-ins/{create_check_in_point(actor=SYSTEM, spec=spec).code}", None


def _referral_programme_body(world, target, caller):
    body = {"campaign_id": _rewards_campaign().pk, "name": "老带新", "referrer": {"points": 100},
            "friend": {"credit": "5.00"}, "starts_at": _now().isoformat()}  # fmt: skip
    return "rewards/referral-programmes", body


CASES += [
    Case(Operation.MANAGE_REWARDS, "POST /api/v1/rewards/referral-programmes", _referral_programme_body,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_REWARDS, "POST /api/v1/rewards/red-packets", _red_packet_body, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.CLAIM_REWARD, "POST /api/v1/rewards/red-packets/{code}/claim", _red_packet_claim, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_REWARDS, "POST /api/v1/rewards/check-in-points", _check_in_point_body, on_orders=False),
    Case(Operation.CLAIM_REWARD, "POST /api/v1/rewards/check-ins/{code}", _check_in, asked_at="none",
         on_orders=False),  # fmt: skip
]


# group buys and chain sign-ups (docs/groupbuy.md)
def _gb_now():
    from django.utils import timezone

    return timezone.now()


def _group_offer(world, target):
    from o2o.groupbuy.services import create_offer

    _stock(world, target)
    return create_offer(actor=SYSTEM, name="三人团", sku_id=world.sku_id, group_price=Decimal("6.00"), group_size=3,
                        time_limit_hours=24, starts_at=_gb_now() - timedelta(minutes=1),
                        ends_at=_gb_now() + timedelta(days=1), location_ids=[target.pk])  # fmt: skip


def _group_offer_body(world, target, caller):
    body = {"name": "双人团", "sku_id": world.sku_id, "group_price": "6.00", "group_size": 2, "time_limit_hours": 12,
            "starts_at": _gb_now().isoformat(), "ends_at": (_gb_now() + timedelta(days=1)).isoformat(),
            "location_ids": [target.pk]}  # fmt: skip
    return "group-buys", body


def _open_group(world, target, caller):
    return f"group-buys/{_group_offer(world, target).pk}/groups", {"location_id": target.pk}


def _join_group(world, target, caller):
    from o2o.groupbuy.services import open_group

    leader = MemberFactory()
    offer = _group_offer(world, target)
    group, _order = open_group(actor=actor_for_member(leader), offer_id=offer.pk, location_id=target.pk)
    return f"groups/{group.pk}/join", {"location_id": target.pk}


def _chain(world, target):
    from o2o.groupbuy.chains import ItemIn, publish_chain

    cutoff = _gb_now() + timedelta(days=1)
    return publish_chain(actor=SYSTEM, location_id=target.pk, title="周末水果接龙", cutoff_at=cutoff,
                         items=[ItemIn(world.sku_id, Decimal("9.00"))])  # fmt: skip


def _chain_body(world, target, caller):
    body = {"location_id": target.pk, "title": "周末水果接龙", "cutoff_at": (_gb_now() + timedelta(days=1)).isoformat(),
            "items": [{"sku_id": world.sku_id, "price": "9.00"}]}  # fmt: skip
    return "chains", body


def _chain_sign_up(world, target, caller):
    chain = _chain(world, target)
    return f"chains/{chain.pk}/entries", {"lines": [{"item_id": chain.items.get().pk, "quantity": 2}]}


def _chain_cancel(world, target, caller):
    from o2o.groupbuy.chains import sign_up

    chain = _chain(world, target)
    if caller.member is not None:
        sign_up(actor=caller.actor, chain_id=chain.pk, quantities={chain.items.get().pk: 1})
    return f"chains/{chain.pk}/entries/cancel", None


def _chain_close(world, target, caller):
    return f"chains/{_chain(world, target).pk}/close", None


CASES += [
    Case(Operation.MANAGE_GROUP_BUYS, "POST /api/v1/group-buys", _group_offer_body, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.JOIN_GROUP_BUY, "POST /api/v1/group-buys/{offer_id}/groups", _open_group, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.JOIN_GROUP_BUY, "POST /api/v1/groups/{group_id}/join", _join_group, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.JOIN_GROUP_BUY, "GET /api/v1/groups/mine", lambda w, t, c: ("groups/mine", None), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_CHAIN_LISTS, "POST /api/v1/chains", _chain_body, on_orders=False),
    Case(Operation.SIGN_UP_TO_CHAIN, "POST /api/v1/chains/{chain_id}/entries", _chain_sign_up, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.SIGN_UP_TO_CHAIN, "POST /api/v1/chains/{chain_id}/entries/cancel", _chain_cancel,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_CHAIN_LISTS, "POST /api/v1/chains/{chain_id}/close", _chain_close, on_orders=False),
    Case(Operation.MANAGE_CHAIN_LISTS, "GET /api/v1/chains/{chain_id}/entries",
         lambda w, t, c: (f"chains/{_chain(w, t).pk}/entries", None), on_orders=False),  # fmt: skip
]


# campaigns, segments, grants and broadcasts (docs/marketing.md)
def _campaign_body(world, target, caller) -> dict:
    return {"name": "回流", "starts_at": "2030-01-01T00:00:00+08:00", "ends_at": "2030-02-01T00:00:00+08:00"}


def _campaign(started: bool = False):
    from django.utils import timezone

    from o2o.pricing.models import Campaign

    starts = timezone.now() - timedelta(hours=1) if started else timezone.now() + timedelta(days=1)
    return Campaign.objects.create(name="回流", starts_at=starts)


def _campaign_update(world, target, caller):
    return f"marketing/campaigns/{_campaign().pk}", _campaign_body(world, target, caller)


def _marketing_segment():
    from o2o.marketing.models import Segment

    return Segment.objects.create(name="全部", rules=[{"kind": "marketing_consent", "value": True}])


def _segment_grant(world, target, caller):
    from o2o.coupons.services import create_template

    template = create_template(actor=SYSTEM, name="满50减5", kind="amount_off", amount="5.00", min_spend="50.00",
                               valid_days=30)  # fmt: skip
    return f"marketing/segments/{_marketing_segment().pk}/grants", {"template_id": template.pk}


def _message_template():
    from o2o.marketing.models import MessageTemplate

    return MessageTemplate.objects.create(name="回流", channel="sms", body="{name}，好久不见")


def _broadcast_send(world, target, caller):
    from o2o.marketing.models import Broadcast

    broadcast = Broadcast.objects.create(segment=_marketing_segment(), template=_message_template())
    return f"marketing/broadcasts/{broadcast.pk}/send", None


CASES += [
    Case(Operation.MANAGE_CAMPAIGNS, "POST /api/v1/marketing/campaigns",
         lambda w, t, c: ("marketing/campaigns", _campaign_body(w, t, c)), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_CAMPAIGNS, "POST /api/v1/marketing/campaigns/{campaign_id}", _campaign_update,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_CAMPAIGNS, "POST /api/v1/marketing/campaigns/{campaign_id}/end",
         lambda w, t, c: (f"marketing/campaigns/{_campaign(started=True).pk}/end", None), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.VIEW_CAMPAIGNS, "GET /api/v1/marketing/campaigns/{campaign_id}/report",
         lambda w, t, c: (f"marketing/campaigns/{_campaign().pk}/report", None), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_SEGMENTS, "POST /api/v1/marketing/segments",
         lambda w, t, c: ("marketing/segments", {"name": "全部", "rules": []}), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_SEGMENTS, "POST /api/v1/marketing/segments/{segment_id}",
         lambda w, t, c: (f"marketing/segments/{_marketing_segment().pk}", {"name": "改", "rules": []}),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_SEGMENTS, "GET /api/v1/marketing/segments/preview",
         lambda w, t, c: ("marketing/segments/preview?rules=%5B%5D", None), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.GRANT_COUPONS, "POST /api/v1/marketing/segments/{segment_id}/grants", _segment_grant,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.SEND_BROADCASTS, "POST /api/v1/marketing/message-templates",
         lambda w, t, c: ("marketing/message-templates", {"name": "回流", "channel": "sms", "body": "好久不见"}),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.SEND_BROADCASTS, "POST /api/v1/marketing/broadcasts",
         lambda w, t, c: ("marketing/broadcasts", {"segment_id": _marketing_segment().pk,
                                                   "template_id": _message_template().pk}),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.SEND_BROADCASTS, "POST /api/v1/marketing/broadcasts/{broadcast_id}/send", _broadcast_send,
         asked_at="none", on_orders=False),  # fmt: skip
]


@pytest.fixture
def world() -> World:
    sku = SKUFactory(price=Decimal("12.00"))
    return World(own=LocationFactory(), other=LocationFactory(), sku_id=sku.pk)


def _caller(kind: str, world: World) -> Caller:
    if kind == ANONYMOUS:
        return Caller(kind, None, ApiClient())
    if kind == MEMBER:
        member = MemberFactory()
        return Caller(kind, actor_for_member(member), ApiClient(member=member))
    if kind in CHAIN_WIDE_ROLES:
        employee = EmployeeFactory(role=kind, home_location=None)
    elif kind == Role.REGIONAL_SUPERVISOR:
        employee = EmployeeFactory(role=kind, home_location=None, region=world.own.region)
    else:
        employee = EmployeeFactory(role=kind, home_location=world.own)
    return Caller(kind, actor_for_user(employee.user), ApiClient(user=employee.user))


# flash sales (docs/flashsale.md)
def _flash_sale_body(world, target, caller):
    from django.utils import timezone

    now = timezone.now()
    return "flash-sales", {"sku_id": world.sku_id, "location_id": target.pk, "price": "5.00", "quantity": 2,
                           "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}  # fmt: skip


def _flash_sale_purchase(world, target, caller):
    from django.utils import timezone

    from o2o.flashsale.services import create_flash_sale

    _stock(world, target)
    now = timezone.now()
    sale = create_flash_sale(actor=SYSTEM, sku_id=world.sku_id, location_id=target.pk, price=Decimal("5.00"),
                             quantity=2, per_member_limit=1, starts_at=now - timedelta(minutes=1),
                             ends_at=now + timedelta(hours=1))  # fmt: skip
    return f"flash-sales/{sale.pk}/orders", {}


CASES += [
    Case(Operation.MANAGE_FLASH_SALES, "POST /api/v1/flash-sales", _flash_sale_body, asked_at="none", on_orders=False),
    Case(Operation.PLACE_ONLINE_ORDER, "POST /api/v1/flash-sales/{sale_id}/orders", _flash_sale_purchase,
         asked_at="none", on_orders=False),  # fmt: skip
]


# coupons (docs/coupons.md)
def _coupon_template(claimable: bool = False):
    from o2o.coupons.services import create_template

    return create_template(actor=SYSTEM, name="满50减5", kind="threshold", amount=Decimal("5.00"),
                           min_spend=Decimal("50.00"), valid_days=7, claimable=claimable)  # fmt: skip


def _coupon_template_body(world, target, caller):
    return "coupon-templates", {"name": "满50减5", "kind": "threshold", "amount": "5.00", "min_spend": "50.00",
                                "valid_days": 7}  # fmt: skip


CASES += [
    Case(Operation.CLAIM_COUPON, "POST /api/v1/coupons/claim",
         lambda w, t, c: ("coupons/claim", {"template_id": _coupon_template(claimable=True).pk}), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_COUPON_TEMPLATES, "POST /api/v1/coupon-templates", _coupon_template_body, asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_COUPON_TEMPLATES, "POST /api/v1/coupon-templates/{template_id}/active",
         lambda w, t, c: (f"coupon-templates/{_coupon_template().pk}/active", {"active": False}), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_COUPON_TEMPLATES, "GET /api/v1/coupon-templates", lambda w, t, c: ("coupon-templates", None),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.GRANT_COUPONS, "POST /api/v1/coupon-templates/{template_id}/grants",
         lambda w, t, c: (f"coupon-templates/{_coupon_template().pk}/grants",
                          {"member_ids": [MemberFactory().pk], "reference": "segment:1"}), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.GRANT_REMEDY_COUPON, "POST /api/v1/coupons/remedies",
         lambda w, t, c: ("coupons/remedies", {"template_id": _coupon_template().pk, "member_id": MemberFactory().pk,
                                               "reason": "ticket:55"}), asked_at="none", on_orders=False),  # fmt: skip
]


# staff support between stores (docs/staffing.md)
def _support_request(location: Location, *, past: bool = False):
    from django.utils import timezone

    from o2o.staffing.models import SupportRequest
    from o2o.staffing.services import RequestIn, create_request

    starts = timezone.now() + timedelta(hours=1)
    asked = RequestIn(location_id=location.pk, role="clerk", headcount=1, starts_at=starts,
                      ends_at=starts + timedelta(hours=8))  # fmt: skip
    request = create_request(actor=SYSTEM, request=asked)
    if past:  # the window is over: its hours can be confirmed
        SupportRequest.objects.filter(pk=request.pk).update(starts_at=starts - timedelta(hours=20),
                                                            ends_at=starts - timedelta(hours=12))  # fmt: skip
    return request


def _loan_to(borrower: Location, lender: Location, *, accepted: bool = False, past: bool = False):
    from o2o.staffing.models import Loan
    from o2o.staffing.services import accept_loan, lend_employee

    request = _support_request(borrower)
    loan = lend_employee(actor=SYSTEM, request_id=request.pk, employee_id=_clerk_of(lender).pk)
    if accepted:
        accept_loan(actor=SYSTEM, loan_id=loan.pk)
    if past:
        Loan.objects.filter(pk=loan.pk).update(starts_at=loan.starts_at - timedelta(hours=20),
                                               ends_at=loan.ends_at - timedelta(hours=20))  # fmt: skip
    return loan


def _support_request_body(world, target, caller):
    from django.utils import timezone

    starts = timezone.now() + timedelta(hours=1)
    return "staffing/requests", {"location_id": target.pk, "role": "clerk", "headcount": 1,
                                 "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=8)).isoformat()}  # fmt: skip  # noqa: E501


CASES += [
    Case(Operation.ASK_FOR_STAFF, "POST /api/v1/staffing/requests", _support_request_body, on_orders=False),
    Case(Operation.ASK_FOR_STAFF, "POST /api/v1/staffing/requests/{request_id}/cancel",
         lambda w, t, c: (f"staffing/requests/{_support_request(t).pk}/cancel", None), on_orders=False),  # fmt: skip
    Case(Operation.LEND_STAFF, "POST /api/v1/staffing/requests/{request_id}/loans",
         lambda w, t, c: (f"staffing/requests/{_support_request(LocationFactory()).pk}/loans",
                          {"employee_id": _clerk_of(t).pk}), on_orders=False),  # fmt: skip
    Case(Operation.ASK_FOR_STAFF, "POST /api/v1/staffing/loans/{loan_id}/accept",
         lambda w, t, c: (f"staffing/loans/{_loan_to(t, LocationFactory()).pk}/accept", None),
         on_orders=False),  # fmt: skip
    Case(Operation.ASK_FOR_STAFF, "POST /api/v1/staffing/loans/{loan_id}/confirm-hours",
         lambda w, t, c: (f"staffing/loans/{_loan_to(t, LocationFactory(), accepted=True, past=True).pk}"
                          "/confirm-hours", {"hours": "7.5"}), on_orders=False),  # fmt: skip
    Case(Operation.LEND_STAFF, "POST /api/v1/staffing/loans/{loan_id}/cancel",
         lambda w, t, c: (f"staffing/loans/{_loan_to(LocationFactory(), t).pk}/cancel", None),
         on_orders=False),  # fmt: skip
    Case(Operation.VIEW_MY_LOANS, "GET /api/v1/staffing/loans/mine", lambda w, t, c: ("staffing/loans/mine", None),
         asked_at="none", on_orders=False),  # fmt: skip
]


# commission (docs/commission.md)
def _commission_plan(world, target, caller):
    from o2o.commission.models import CommissionPlan

    plan = CommissionPlan.objects.create(name="Spring", effective_from="2030-01-01",
                                         created_by=EmployeeFactory(role=Role.HQ).user)  # fmt: skip
    return f"commission/plans/{plan.pk}/end", {"effective_to": "2031-01-01"}


CASES += [
    Case(Operation.VIEW_MY_COMMISSION, "GET /api/v1/commission/me", lambda w, t, c: ("commission/me", None),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.VIEW_COMMISSION_STATEMENTS, "GET /api/v1/commission/statements",
         lambda w, t, c: (f"commission/statements?employee_id={_clerk_of(t).pk}&period=2026-01", None),
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_COMMISSION_PLANS, "POST /api/v1/commission/plans",
         lambda w, t, c: ("commission/plans", {"name": "Spring", "effective_from": "2030-01-01",
                                               "rates": [{"percent": "2.00"}]}), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_COMMISSION_PLANS, "POST /api/v1/commission/plans/{plan_id}/end", _commission_plan,
         asked_at="none", on_orders=False),  # fmt: skip
]


# employees' virtual stores (docs/outreach.md): the card and the figures are always the caller's own
CASES += [
    Case(Operation.EDIT_MY_CARD, "PUT /api/v1/outreach/me/card",
         lambda w, t, c: ("outreach/me/card", {"title": "店长", "greeting": "欢迎"}), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.VIEW_MY_SHARE_LINK, "GET /api/v1/outreach/me", lambda w, t, c: ("outreach/me", None),
         asked_at="none", on_orders=False),  # fmt: skip
]


# the marketing toolbox (docs/toolbox.md)
def _toolbox_material(target=None, **fields):
    from o2o.toolbox.services import MaterialSpec, publish_material

    spec = MaterialSpec(kind="brochure", title="春季手册", **fields)
    return publish_material(actor=SYSTEM, spec=spec, location_id=target.pk if target else None)


CASES += [
    Case(Operation.MANAGE_MATERIALS, "POST /api/v1/toolbox/materials",
         lambda w, t, c: ("toolbox/materials", {"kind": "news", "title": "开业", "location_id": t.pk}),
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_MATERIALS, "POST /api/v1/toolbox/materials/{material_id}",
         lambda w, t, c: (f"toolbox/materials/{_toolbox_material(t).pk}", {"kind": "news", "title": "改"}),
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_MATERIALS, "POST /api/v1/toolbox/materials/{material_id}/active",
         lambda w, t, c: (f"toolbox/materials/{_toolbox_material(t).pk}/active", {"active": False}),
         on_orders=False),  # fmt: skip
    Case(Operation.SHARE_MATERIALS, "POST /api/v1/toolbox/materials/{material_id}/shares",
         lambda w, t, c: (f"toolbox/materials/{_toolbox_material().pk}/shares", None), asked_at="none",
         on_orders=False),  # fmt: skip
    Case(Operation.SHARE_MATERIALS, "GET /api/v1/toolbox/me/figures", lambda w, t, c: ("toolbox/me/figures", None),
         asked_at="none", on_orders=False),  # fmt: skip
]
PUBLIC.update({
    "POST /api/v1/toolbox/shared/{token}/opens": "a reader opens a shared page (its token and their visitor key)",
    "POST /api/v1/toolbox/shared/{token}/opens/{open_id}/seconds": "the reader's page pings its reading time",
    "POST /api/v1/toolbox/shared/{token}/opens/{open_id}/forwards": "a reader forwards the page (their own open)",
    "POST /api/v1/toolbox/shared/{token}/inquiries": "a reader asks, books a visit or signs up (rate-limited)",
})  # fmt: skip


# leads and follow-ups (docs/leads.md): an employee's own leads; a task for a store's employee
_lead_phones = itertools.count(1)


def _lead_today():
    from django.utils import timezone

    return timezone.localdate()


def _lead_of(caller: Caller, employee=None):
    from o2o.leads.services import capture_lead

    owner = employee or (caller.actor.employee if caller.actor and caller.actor.employee else EmployeeFactory())
    return capture_lead(employee_id=owner.pk, phone=f"+86139{next(_lead_phones):08d}", source="manual")


def _follow_up_of(caller: Caller):
    from o2o.leads.models import FollowUp

    lead = _lead_of(caller)
    due = _lead_today() + timedelta(days=1)
    return FollowUp.objects.create(lead=lead, employee_id=lead.employee_id, assigned_by_id=lead.employee_id,
                                   due_on=due, kind="call")  # fmt: skip


def _assign_body(world, target, caller):
    lead = _lead_of(caller, employee=_clerk_of(target))
    due = (_lead_today() + timedelta(days=1)).isoformat()
    return "leads/follow-ups", {"employee_id": lead.employee_id, "lead_id": lead.pk, "due_on": due, "kind": "call"}


_MY_LEADS = {"asked_at": "none", "on_orders": False}
CASES += [
    Case(Operation.WORK_MY_LEADS, "GET /api/v1/leads", lambda w, t, c: ("leads", None), **_MY_LEADS),
    Case(Operation.WORK_MY_LEADS, "POST /api/v1/leads",
         lambda w, t, c: ("leads", {"phone": f"+86137{next(_lead_phones):08d}"}), **_MY_LEADS),  # fmt: skip
    Case(Operation.WORK_MY_LEADS, "PATCH /api/v1/leads/{lead_id}",
         lambda w, t, c: (f"leads/{_lead_of(c).pk}", {"name": "王"}), **_MY_LEADS),  # fmt: skip
    Case(Operation.WORK_MY_LEADS, "POST /api/v1/leads/{lead_id}/notes",
         lambda w, t, c: (f"leads/{_lead_of(c).pk}/notes", {"body": "回访"}), **_MY_LEADS),  # fmt: skip
    Case(Operation.WORK_MY_LEADS, "PUT /api/v1/leads/{lead_id}/tags",
         lambda w, t, c: (f"leads/{_lead_of(c).pk}/tags", {"tags": ["VIP"]}), **_MY_LEADS),  # fmt: skip
    Case(Operation.WORK_MY_LEADS, "POST /api/v1/leads/{lead_id}/follow-ups",
         lambda w, t, c: (f"leads/{_lead_of(c).pk}/follow-ups",
                          {"due_on": (_lead_today() + timedelta(days=1)).isoformat(), "kind": "call"}),
         **_MY_LEADS),  # fmt: skip
    Case(Operation.WORK_MY_LEADS, "POST /api/v1/leads/follow-ups/{follow_up_id}/complete",
         lambda w, t, c: (f"leads/follow-ups/{_follow_up_of(c).pk}/complete", {}), **_MY_LEADS),  # fmt: skip
    Case(Operation.WORK_MY_LEADS, "POST /api/v1/leads/follow-ups/{follow_up_id}/cancel",
         lambda w, t, c: (f"leads/follow-ups/{_follow_up_of(c).pk}/cancel", {}), **_MY_LEADS),  # fmt: skip
    Case(Operation.ASSIGN_FOLLOW_UP, "POST /api/v1/leads/follow-ups", _assign_body, on_orders=False),
]

# attribution (docs/attribution.md)
_matrix_days = itertools.count(1)


def _matrix_version_body(world, target, caller):
    from django.utils import timezone

    from o2o.attribution.defaults import DEFAULT_MATRIX

    day = timezone.localdate() + timedelta(days=next(_matrix_days))  # each allowed call its own date
    rules = [{"touchpoint": t, "lead": lead, "shares": [{"party": p, "percent": pc, "is_owner": o} for p, pc, o in sh]}
             for t, (lead, sh) in DEFAULT_MATRIX.items()]  # fmt: skip
    return "attribution/matrix/versions", {"effective_from": day.isoformat(), "rules": rules}


CASES += [
    Case(Operation.VIEW_TOUCHPOINT_MATRIX, "GET /api/v1/attribution/matrix",
         lambda w, t, c: ("attribution/matrix", None), asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.PUBLISH_TOUCHPOINT_MATRIX, "POST /api/v1/attribution/matrix/versions", _matrix_version_body,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.VIEW_ORDER_CREDITS, "GET /api/v1/attribution/orders/{order_id}/credits",
         lambda w, t, c: (f"attribution/orders/{_paid(w, t, c).pk}/credits", None)),  # fmt: skip
]

# member tags, notes and the customer 360 (docs/customers.md): a member of the target store
def _customer_of(target: Location):
    return MemberFactory(acquiring_location=target)


def _hand_tagged(world, target, caller):
    from o2o.members.models import MemberTag

    member = _customer_of(target)
    MemberTag.objects.create(member=member, tag="VIP", source="manual", added_by=_clerk_of(target).user)
    return f"customers/{member.pk}/tags/remove", {"tag": "VIP"}


_tag_rule_tags = itertools.count(1)


def _tag_rule(world, target, caller):
    from o2o.marketing.models import Segment

    segment = Segment.objects.create(name="s")
    return "customers/tag-rules", {"tag": f"rule {next(_tag_rule_tags)}", "segment_id": segment.pk}


def _tag_rule_switch(world, target, caller):
    from o2o.marketing.models import Segment, TagRule

    rule = TagRule.objects.create(tag=f"rule {next(_tag_rule_tags)}", segment=Segment.objects.create(name="s"))
    return f"customers/tag-rules/{rule.pk}/active", {"active": False}


_CUSTOMERS = {"on_orders": False}
CASES += [
    Case(Operation.VIEW_CUSTOMER_360, "GET /api/v1/customers/{member_id}/360",
         lambda w, t, c: (f"customers/{_customer_of(t).pk}/360", None), **_CUSTOMERS),  # fmt: skip
    Case(Operation.VIEW_MEMBER_PHONE, "GET /api/v1/customers/{member_id}/phone",
         lambda w, t, c: (f"customers/{_customer_of(t).pk}/phone", None), **_CUSTOMERS),  # fmt: skip
    Case(Operation.TAG_MEMBERS, "POST /api/v1/customers/{member_id}/tags",
         lambda w, t, c: (f"customers/{_customer_of(t).pk}/tags", {"tag": "VIP"}), **_CUSTOMERS),  # fmt: skip
    Case(Operation.TAG_MEMBERS, "POST /api/v1/customers/{member_id}/tags/remove", _hand_tagged, **_CUSTOMERS),
    Case(Operation.WRITE_MEMBER_NOTES, "POST /api/v1/customers/{member_id}/notes",
         lambda w, t, c: (f"customers/{_customer_of(t).pk}/notes", {"body": "prefers calls after 6pm"}),
         **_CUSTOMERS),  # fmt: skip
    Case(Operation.MANAGE_TAG_RULES, "POST /api/v1/customers/tag-rules", _tag_rule, asked_at="none", on_orders=False),
    Case(Operation.MANAGE_TAG_RULES, "POST /api/v1/customers/tag-rules/{rule_id}/active", _tag_rule_switch,
         asked_at="none", on_orders=False),  # fmt: skip
]


# complaints and feedback on tickets (docs/service.md): store staff only on a ticket escalated to their store
_ticket_numbers = itertools.count(1)


def _ticket_escalated_to(target: Location, *, kind: str = "complaint", order=None):
    from django.utils import timezone

    from o2o.service.models import Ticket

    now = timezone.now()
    return Ticket.objects.create(number=f"PT{next(_ticket_numbers):08d}", channel="chat", kind=kind, subject="投诉",
                                 state="escalated", member=order.member if order else MemberFactory(), order=order,
                                 escalated_to=target, escalation_reason="门店处理",
                                 first_response_due_at=now + timedelta(minutes=5),
                                 resolution_due_at=now + timedelta(days=1))  # fmt: skip


def _promise_body(world, target, caller):
    from django.utils import timezone

    when = (timezone.now() + timedelta(days=2)).isoformat()
    return f"service/tickets/{_ticket_escalated_to(target).pk}/promise", {"solution": "换新", "promised_by": when}


CASES += [
    Case(Operation.PROMISE_SOLUTION, "POST /api/v1/service/tickets/{ticket_id}/promise", _promise_body,
         on_orders=False),  # fmt: skip
    Case(Operation.CARRY_OUT_REMEDY, "POST /api/v1/service/tickets/{ticket_id}/remedies",
         lambda w, t, c: (f"service/tickets/{_ticket_escalated_to(t, order=_paid(w, t, c)).pk}/remedies",
                          {"kind": "redelivery", "note": "补发"}), on_orders=False),  # fmt: skip
    Case(Operation.ATTRIBUTE_FEEDBACK, "POST /api/v1/service/tickets/{ticket_id}/attribution",
         lambda w, t, c: (f"service/tickets/{_ticket_escalated_to(t, kind='praise').pk}/attribution",
                          {"employee_id": _clerk_of(t).pk}), on_orders=False),  # fmt: skip
]


# follow-up visits (docs/aftercare.md): a visit of an order handed over at the target store
def _follow_up_visit(world, target, caller, *, claimed: bool = False):
    from django.utils import timezone

    from o2o.aftercare.models import FollowUpVisit

    order = _handed_over(world, target, caller)
    employee = caller.actor.employee if claimed and caller.actor and caller.actor.employee else None
    return FollowUpVisit.objects.create(member=order.member, order=order, location=target, channel="phone",
                                        due_on=timezone.localdate(), assigned_to=employee,
                                        claimed_at=timezone.now() if employee else None)  # fmt: skip


def _visit_path(action: str, body: dict | None = None, claimed: bool = False) -> Callable:
    def prepare(world, target, caller):
        return f"follow-ups/visits/{_follow_up_visit(world, target, caller, claimed=claimed).pk}/{action}", body

    return prepare


PUBLIC["POST /api/v1/follow-ups/surveys/{token}"] = "the customer's survey answer: the single-use link is the key"
CASES += [
    Case(Operation.WORK_FOLLOW_UPS, "GET /api/v1/follow-ups/visits", lambda w, t, c: ("follow-ups/visits", None),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.WORK_FOLLOW_UPS, "POST /api/v1/follow-ups/visits/{visit_id}/claim", _visit_path("claim"),
         on_orders=False),  # fmt: skip
    Case(Operation.WORK_FOLLOW_UPS, "POST /api/v1/follow-ups/visits/{visit_id}/release",
         _visit_path("release", claimed=True), on_orders=False),  # fmt: skip
    Case(Operation.WORK_FOLLOW_UPS, "POST /api/v1/follow-ups/visits/{visit_id}/calls",
         _visit_path("calls", {"reached": True, "score": 5}, claimed=True), on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_FOLLOW_UP_POLICIES, "POST /api/v1/follow-ups/policies",
         lambda w, t, c: ("follow-ups/policies", {"delay_days": 2, "channel": "phone"}), asked_at="none",
         on_orders=False),  # fmt: skip
]

# customer service tickets (docs/service.md, "Tickets")
_ticket_phones = itertools.count(1)


def _ticket(world: World, target: Location, caller: Caller, *, kind: str = "inquiry", state: str = "new"):
    """A member's chat (the calling member's own at their own store, a stranger's otherwise), taken
    by an agent of its own to `state` (open, waiting_on_customer), or escalated to the target."""
    from o2o.service import assignment, services

    member = _owner(caller, target, world)
    request = services.TicketRequest(kind=kind, subject="在吗", body="订单什么时候到?")
    ticket = services.open_ticket(actor=actor_for_member(member), request=request)
    if state == "new":
        return ticket
    agent = actor_for_user(EmployeeFactory(role=Role.CS_AGENT, home_location=None).user)
    if state == "escalated":
        return services.escalate(actor=agent, ticket_id=ticket.pk, location_id=target.pk, reason="到店处理")
    assignment.claim(actor=agent, ticket_id=ticket.pk)
    if state == "waiting_on_customer":
        services.wait_on_customer(actor=agent, ticket_id=ticket.pk)
    if state == "resolved":
        services.resolve(actor=agent, ticket_id=ticket.pk, summary="已补发")
    return ticket


def _led_ticket(world, target, caller):
    """A new ticket of an online team the caller leads (when the caller is an employee)."""
    from o2o.service.models import Ticket
    from o2o.staff.models import Team

    ticket = _ticket(world, target, caller)
    lead = caller.actor.employee if caller.actor is not None else None
    team = Team.objects.create(name="线上客服", kind=Team.Kind.ONLINE, lead=lead)
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    return f"service/tickets/{ticket.pk}/assign", {"employee_id": agent.pk}


def _ticket_path(prefix: str, action: str, body: dict | None = None, **kwargs):
    def prepare(world, target, caller):
        return f"service/{prefix}/{_ticket(world, target, caller, **kwargs).pk}/{action}", body or {}

    return prepare


def _caller_ticket_body(world, target, caller):
    phone = f"+86136{next(_ticket_phones):08d}"
    return "service/tickets", {"channel": "phone", "kind": "inquiry", "subject": "来电", "body": "问营业时间",
                               "phone": phone, "location_id": target.pk}  # fmt: skip


_CS = {"asked_at": "none", "on_orders": False}
_MY = {"asked_at": "none"}  # a member's own ticket at "own", a stranger's at "other"
CASES += [
    Case(Operation.CONTACT_SERVICE, "POST /api/v1/service/my/tickets",
         lambda w, t, c: ("service/my/tickets", {"kind": "inquiry", "subject": "在吗", "body": "你好"}),
         **_CS),  # fmt: skip
    Case(Operation.CONTACT_SERVICE, "POST /api/v1/service/my/tickets/{ticket_id}/messages",
         _ticket_path("my/tickets", "messages", {"body": "还没到"}), **_MY),  # fmt: skip
    Case(Operation.CONTACT_SERVICE, "POST /api/v1/service/my/tickets/{ticket_id}/confirm",
         _ticket_path("my/tickets", "confirm", {"satisfaction": 5}, state="resolved"), **_MY),  # fmt: skip
    Case(Operation.CONTACT_SERVICE, "POST /api/v1/service/my/tickets/{ticket_id}/reopen",
         _ticket_path("my/tickets", "reopen", {"body": "没解决"}, state="resolved"), **_MY),  # fmt: skip
    Case(Operation.OPEN_TICKET, "POST /api/v1/service/tickets", _caller_ticket_body, on_orders=False),
    Case(Operation.WORK_TICKETS, "GET /api/v1/service/tickets", lambda w, t, c: ("service/tickets", None), **_CS),
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/messages",
         _ticket_path("tickets", "messages", {"body": "您好"}), **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/claim",
         _ticket_path("tickets", "claim"), **_CS),  # fmt: skip
    Case(Operation.ASSIGN_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/assign", _led_ticket, **_CS),
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/wait",
         _ticket_path("tickets", "wait", state="open"), **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/resume",
         _ticket_path("tickets", "resume", state="waiting_on_customer"), **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/classify",
         _ticket_path("tickets", "classify", {"priority": "high"}), **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/escalate",
         lambda w, t, c: (f"service/tickets/{_ticket(w, t, c).pk}/escalate", {"location_id": t.pk, "reason": "到店"}),
         **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/resolve",
         _ticket_path("tickets", "resolve", {"summary": "已处理"}, state="open"), **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "POST /api/v1/service/tickets/{ticket_id}/close",
         _ticket_path("tickets", "close", {}, kind="praise"), **_CS),  # fmt: skip
    Case(Operation.WORK_TICKETS, "PUT /api/v1/service/presence",
         lambda w, t, c: ("service/presence", {"available": True, "max_open_tickets": 5}), **_CS),  # fmt: skip
    Case(Operation.HANDLE_ESCALATIONS, "POST /api/v1/service/escalations/{ticket_id}/messages",
         _ticket_path("escalations", "messages", {"body": "请到店"}, state="escalated"), on_orders=False),  # fmt: skip
    Case(Operation.HANDLE_ESCALATIONS, "POST /api/v1/service/escalations/{ticket_id}/resolve",
         _ticket_path("escalations", "resolve", {"summary": "已换货"}, state="escalated"),
         on_orders=False),  # fmt: skip
    Case(Operation.HANDLE_ESCALATIONS, "POST /api/v1/service/escalations/{ticket_id}/return",
         _ticket_path("escalations", "return", {"note": "线上处理"}, state="escalated"), on_orders=False),  # fmt: skip
]


# the knowledge base (docs/knowledge.md): every staff role reads, authors write
def _knowledge_article(**fields):
    from o2o.knowledge.services import ArticleSpec, create_article

    return create_article(actor=SYSTEM, spec=ArticleSpec(title="退货流程", body="七天无理由退货。", **fields))


_KNOWLEDGE_BODY = {"title": "换货流程", "body": "十五天内可以换货。"}
CASES += [
    Case(Operation.READ_KNOWLEDGE, "GET /api/v1/knowledge/articles",
         lambda w, t, c: ("knowledge/articles?q=无理由", None), asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_KNOWLEDGE, "POST /api/v1/knowledge/articles",
         lambda w, t, c: ("knowledge/articles", _KNOWLEDGE_BODY), asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_KNOWLEDGE, "PUT /api/v1/knowledge/articles/{article_id}",
         lambda w, t, c: (f"knowledge/articles/{_knowledge_article().pk}", {**_KNOWLEDGE_BODY, "version": 1}),
         asked_at="none", on_orders=False),  # fmt: skip
]


def _team_hours(world, target, caller):
    from o2o.staff.models import Team

    team = Team.objects.create(name="Online", kind=Team.Kind.ONLINE)
    week = [{"weekday": 0, "opens": "09:00", "closes": "18:00"}]
    return f"service/teams/{team.pk}/business-hours", {"intervals": week}


CASES += [  # SLA targets and reports (docs/service.md)
    Case(Operation.MANAGE_SLA, "PUT /api/v1/service/sla/policies/{kind}/{priority}",
         lambda w, t, c: ("service/sla/policies/complaint/high",
                          {"first_response_minutes": 10, "resolution_minutes": 600, "warn_before_minutes": 3}),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_SLA, "PUT /api/v1/service/teams/{team_id}/business-hours", _team_hours,
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.VIEW_SERVICE_REPORTS, "GET /api/v1/service/reports/sla",
         lambda w, t, c: ("service/reports/sla?since=2026-11-01T00:00:00%2B08:00&until=2026-12-01T00:00:00%2B08:00",
                          None), asked_at="none", on_orders=False),  # fmt: skip
]

def _notification_template(world, target, caller):  # customer notifications (docs/notifications.md)
    from o2o.notifications.models import NotificationTemplate
    from o2o.notifications.services import ensure_templates

    ensure_templates()
    template = NotificationTemplate.objects.get(kind="picked_up", language="en", channel="sms")
    return f"notification-templates/{template.pk}", {"body": "Order {order_number} picked up."}


CASES += [  # notifications: a member's own channels; HQ's texts
    Case(Operation.SET_NOTIFICATION_PREFERENCES, "PUT /api/v1/me/notification-preferences",
         lambda w, t, c: ("me/notification-preferences", {"channels": ["sms", "push"], "language": "en"}),
         asked_at="none", on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_NOTIFICATION_TEMPLATES, "PUT /api/v1/notification-templates/{template_id}",
         _notification_template, asked_at="none", on_orders=False),  # fmt: skip
]


def _expected(case: Case, caller: Caller, world: World, where: str) -> bool:
    if caller.actor is None:
        return False
    if caller.kind == MEMBER and case.on_orders and where == "other":
        return False  # another member's order: the scoped accessor hides it, whatever the table says
    home = caller.actor.employee.home_location_id if caller.actor.employee else None
    location_id = {"target": world.at(where).pk, "home": home, "none": None}[case.asked_at]
    return may(caller.actor, case.operation, location_id=location_id)


def _call(caller: Caller, endpoint: str, path: str, body: dict | None):
    if endpoint.startswith("GET "):
        return caller.client.client.get(f"/api/v1/{path}", headers=caller.client.headers)
    if endpoint.startswith("PUT "):
        return caller.client._call("put", path, body)
    if endpoint.startswith("PATCH "):
        return caller.client._call("patch", path, body)
    return caller.client.post(path, body)


# stocktakes (docs/stocktakes.md): one open count per location, so each call gets a fresh one
def _fresh_count(world, target, *, submitted=False):
    from o2o.stocktakes import services as stocktakes
    from o2o.stocktakes.models import OPEN_STATES, StockCount

    StockCount.objects.filter(location=target, state__in=OPEN_STATES).delete()
    _stock(world, target)
    keeper = actor_for_user(_clerk_of(target, Role.STORE_MANAGER).user)
    count = stocktakes.start_count(actor=keeper, location_id=target.pk)
    if submitted:
        stocktakes.record_scan(actor=keeper, count_id=count["id"], code=_sku(world).code, quantity=3, replace=True)
        stocktakes.submit_count(actor=keeper, count_id=count["id"])
    return count["id"]


def _start_count(world, target, caller):
    from o2o.stocktakes.models import OPEN_STATES, StockCount

    StockCount.objects.filter(location=target, state__in=OPEN_STATES).delete()
    return "stock-counts", {"location_id": target.pk}


def _count_step(step: str, *, submitted=False, body=None):
    def prepare(world, target, caller):
        count_id = _fresh_count(world, target, submitted=submitted)
        payload = {"code": _sku(world).code, "quantity": 2} if body == "scan" else None
        return f"stock-counts/{count_id}/{step}", payload

    return prepare


CASES += [
    Case(Operation.START_STOCK_COUNT, "POST /api/v1/stock-counts", _start_count, on_orders=False),
    Case(Operation.SCAN_STOCK_COUNT, "POST /api/v1/stock-counts/{count_id}/scans", _count_step("scans", body="scan"),
         on_orders=False),  # fmt: skip
    Case(Operation.SCAN_STOCK_COUNT, "POST /api/v1/stock-counts/{count_id}/submit", _count_step("submit"),
         on_orders=False),  # fmt: skip
    Case(Operation.START_STOCK_COUNT, "POST /api/v1/stock-counts/{count_id}/cancel", _count_step("cancel"),
         on_orders=False),  # fmt: skip
    Case(Operation.APPROVE_STOCK_COUNT, "POST /api/v1/stock-counts/{count_id}/send-back",
         _count_step("send-back", submitted=True), on_orders=False),  # fmt: skip
    Case(Operation.APPROVE_STOCK_COUNT, "POST /api/v1/stock-counts/{count_id}/approve",
         _count_step("approve", submitted=True), on_orders=False),  # fmt: skip
]


def _shelve(world, target, caller):
    _stock(world, target)
    return f"stock-counts/locations/{target.pk}/aisles/{world.sku_id}", {"aisle": "A3"}


CASES += [  # the shelf plan and HQ's shrinkage (docs/stocktakes.md)
    Case(Operation.SET_STOCK_AISLE, "PUT /api/v1/stock-counts/locations/{location_id}/aisles/{sku_id}", _shelve,
         on_orders=False),  # fmt: skip
    Case(Operation.VIEW_SHRINKAGE, "GET /api/v1/stock-counts/shrinkage",
         lambda w, t, c: ("stock-counts/shrinkage", None), asked_at="none", on_orders=False),  # fmt: skip
]


def _replenishment_proposal(world, target, caller) -> int:
    """An open proposal at the target for a fresh SKU, from the other store."""
    from django.utils import timezone

    from o2o.replenishment.models import Proposal

    source = world.other if target == world.own else world.own
    proposal = Proposal.objects.create(
        location=target,
        sku=SKUFactory(),
        source=source,
        quantity=5,
        available=0,
        alert_level=2,
        target_level=5,
        expected_sales=0,
        proposed_at=timezone.now(),
    )
    return proposal.pk


def _requested_transfer_from(world, target, caller):
    from o2o.inventory.services import add_requested_transfer

    _stock(world, target)
    destination = world.other if target == world.own else world.own
    transfer = add_requested_transfer(source_id=target.pk, destination_id=destination.pk, lines={world.sku_id: 2},
                                      actor_id=None)  # fmt: skip
    return f"replenishment/transfers/{transfer.pk}/ship", None


def _stock_request(world, target, caller):
    source = world.other if target == world.own else world.own
    lines = [{"sku_id": world.sku_id, "quantity": 2}]
    return "replenishment/requests", {"source_id": source.pk, "destination_id": target.pk, "lines": lines}


CASES += [  # replenishment (docs/replenishment.md)
    Case(Operation.SET_STOCK_LEVELS, "POST /api/v1/replenishment/locations/{location_id}/levels/{sku_id}",
         lambda w, t, c: (f"replenishment/locations/{t.pk}/levels/{w.sku_id}", {"alert_level": 2, "target_level": 5}),
         on_orders=False),  # fmt: skip
    Case(Operation.PROPOSE_REPLENISHMENT, "POST /api/v1/replenishment/locations/{location_id}/proposals",
         lambda w, t, c: (f"replenishment/locations/{t.pk}/proposals", None), on_orders=False),  # fmt: skip
    Case(
        Operation.APPROVE_REPLENISHMENT,
        "POST /api/v1/replenishment/locations/{location_id}/approvals",
        lambda w, t, c: (
            f"replenishment/locations/{t.pk}/approvals",
            {"lines": [{"proposal_id": _replenishment_proposal(w, t, c)}]},
        ),
        on_orders=False,
    ),
    Case(Operation.APPROVE_REPLENISHMENT, "POST /api/v1/replenishment/proposals/{proposal_id}/reject",
         lambda w, t, c: (f"replenishment/proposals/{_replenishment_proposal(w, t, c)}/reject", {"reason": "enough"}),
         on_orders=False),  # fmt: skip
    Case(Operation.REQUEST_STOCK, "POST /api/v1/replenishment/requests", _stock_request, on_orders=False),
    Case(Operation.SHIP_TRANSFER, "POST /api/v1/replenishment/transfers/{transfer_id}/ship", _requested_transfer_from,
         on_orders=False),  # fmt: skip
    Case(Operation.PREPARE_ORDER, "POST /api/v1/preparations/{preparation_id}/accept",
         lambda w, t, c: (f"preparations/{_preparation(w, t, c)}/accept", None), on_orders=False),  # fmt: skip
    Case(Operation.PREPARE_ORDER, "POST /api/v1/preparations/{preparation_id}/picks",
         lambda w, t, c: (f"preparations/{_preparation(w, t, c, step='accepted')}/picks", {"sku_id": w.sku_id}),
         on_orders=False),  # fmt: skip
    Case(Operation.PREPARE_ORDER, "POST /api/v1/preparations/{preparation_id}/shortages", _shortage, on_orders=False),
    Case(Operation.PREPARE_ORDER, "POST /api/v1/preparations/{preparation_id}/ready",
         lambda w, t, c: (f"preparations/{_preparation(w, t, c, step='picked')}/ready", None),
         on_orders=False),  # fmt: skip
    Case(Operation.PREPARE_ORDER, "POST /api/v1/preparations/{preparation_id}/packed",
         lambda w, t, c: (f"preparations/{_preparation(w, t, c, fulfilment='delivery', step='picked')}/packed", None),
         on_orders=False),  # fmt: skip
    Case(Operation.MANAGE_FULFILMENT_SETTINGS, "PUT /api/v1/preparations/settings/{location_id}",
         lambda w, t, c: (f"preparations/settings/{t.pk}", {"preparation_minutes": 20, "auto_accept_orders": True}),
         on_orders=False),  # fmt: skip
]



# incidents (docs/incidents.md): a paid pickup order of two at the target, an incident on it
def _incident_order(world, target, caller):
    _stock(world, target)
    member = _owner(caller, target, world)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=target.pk,
                           lines=[LineRequest(world.sku_id, 2)])  # fmt: skip
    return pay_online(place_order(actor=actor_for_member(member), member=member, request=request))


def _incident(world, target, caller, *, offered: bool = False) -> int:
    from o2o.incidents import services as incidents

    order = _incident_order(world, target, caller)
    incident = incidents.open_automatically(kind="item_missing", order=order, line=order.lines.get(), quantity=1)
    if offered:  # another product, on the target's shelf
        substitute = SKUFactory()
        receive_stock(actor=SYSTEM, location_id=target.pk, sku_id=substitute.pk, quantity=5)
        incidents.offer_substitute(actor=SYSTEM, incident_id=incident.pk, sku_id=substitute.pk)
    return incident.pk


def _open_incident_body(world, target, caller):
    order = _incident_order(world, target, caller)
    return "incidents", {"order_id": order.pk, "kind": "damaged_item", "line_id": order.lines.get().pk, "quantity": 1}


def _incident_step(step: str, body: dict | Callable | None, *, offered: bool = False) -> Callable:
    def prepare(world, target, caller):
        payload = body() if callable(body) else body
        return f"incidents/{_incident(world, target, caller, offered=offered)}/{step}", payload

    return prepare


CASES += [
    Case(Operation.VIEW_INCIDENTS, "GET /api/v1/incidents/{incident_id}",
         lambda w, t, c: (f"incidents/{_incident(w, t, c)}", None), on_orders=False),  # fmt: skip
    Case(Operation.OPEN_INCIDENT, "POST /api/v1/incidents", _open_incident_body, on_orders=False),
    Case(Operation.REFUND_MISSING_UNITS, "POST /api/v1/incidents/{incident_id}/refunds",
         _incident_step("refunds", {"quantity": 1}), on_orders=False),  # fmt: skip
    Case(Operation.WORK_INCIDENTS, "POST /api/v1/incidents/{incident_id}/coupons",
         _incident_step("coupons", lambda: {"template_id": _coupon_template().pk}), on_orders=False),  # fmt: skip
    Case(Operation.WORK_INCIDENTS, "POST /api/v1/incidents/{incident_id}/redeliveries",
         _incident_step("redeliveries", {"note": "补发"}), on_orders=False),  # fmt: skip
    Case(Operation.WORK_INCIDENTS, "POST /api/v1/incidents/{incident_id}/substitutes",
         lambda w, t, c: (f"incidents/{_incident(w, t, c)}/substitutes", {"sku_id": SKUFactory().pk}),
         on_orders=False),  # fmt: skip
    Case(Operation.WORK_INCIDENTS, "POST /api/v1/incidents/{incident_id}/substitutes/answer",
         _incident_step("substitutes/answer", {"accepted": True}, offered=True), on_orders=False),  # fmt: skip
    Case(Operation.WORK_INCIDENTS, "POST /api/v1/incidents/{incident_id}/contacts",
         _incident_step("contacts", {"note": "已电话联系"}), on_orders=False),  # fmt: skip
    Case(Operation.WORK_INCIDENTS, "POST /api/v1/incidents/{incident_id}/close",
         _incident_step("close", {"outcome": "resolved"}), on_orders=False),  # fmt: skip
]

# delivery runs and couriers (docs/delivery.md): a driver works only the run assigned to them
def _delivery_run(world, target, caller, *, dispatched=False):
    from datetime import timedelta

    from django.utils import timezone

    from o2o.delivery.models import DeliveryRun, RunStop, Vehicle

    mine = caller.actor is not None and caller.kind == Role.DRIVER and target == world.own
    driver = caller.actor.employee if mine else _clerk_of(target, Role.DRIVER)
    van = Vehicle.objects.create(depot=target, name=f"van {Vehicle.objects.count()}", capacity_units=9)
    order = _paid_delivery(world, target, caller)
    now = timezone.now()
    run = DeliveryRun.objects.create(depot=target, vehicle=van, driver=driver, date=timezone.localdate(),
                                     state="dispatched" if dispatched else "planned",
                                     dispatched_at=now if dispatched else None)  # fmt: skip
    if dispatched:
        dispatch_order(actor=SYSTEM, order=order)
    stop = RunStop.objects.create(run=run, sequence=1, order=order, address=order.delivery_address, latitude=31.2,
                                  longitude=121.4, units=1, window_start=now, window_end=now + timedelta(hours=2),
                                  planned_arrival=now, delivery_code="1234")  # fmt: skip
    return run, stop


def _plan_runs(world, target, caller):
    from django.utils import timezone

    from o2o.delivery.models import Vehicle

    Vehicle.objects.create(depot=target, name=f"van {Vehicle.objects.count()}", capacity_units=9)
    # Tomorrow: today's delivery hours may be over when the suite runs in the evening.
    tomorrow = timezone.localdate() + timedelta(days=1)
    return "delivery/runs/plan", {"depot_id": target.pk, "date": tomorrow.isoformat()}


def _run_step(step: str):
    def prepare(world, target, caller):
        run, _stop = _delivery_run(world, target, caller)
        body = {"driver_id": run.driver_id} if step == "driver" else None
        return f"delivery/runs/{run.pk}/{step}", body

    return prepare


def _stop_step(step: str):
    def prepare(world, target, caller):
        _run, stop = _delivery_run(world, target, caller, dispatched=True)
        body = {"code": "1234"} if step == "deliver" else {"reason": "nobody_home"}
        return f"delivery/stops/{stop.pk}/{step}", body

    return prepare


def _book_courier(world, target, caller):
    return "delivery/couriers/bookings", {"order_id": _paid_delivery(world, target, caller).pk}


def _cancel_courier(world, target, caller):
    from o2o.delivery.courier_bookings import book_courier

    booking = book_courier(actor=SYSTEM, order_id=_paid_delivery(world, target, caller).pk)
    return f"delivery/couriers/bookings/{booking.pk}/cancel", None


PUBLIC["POST /api/v1/delivery/couriers/{courier}/callbacks"] = "the courier, proven by its signature"
CASES += [
    Case(Operation.PLAN_DELIVERY_RUNS, "POST /api/v1/delivery/runs/plan", _plan_runs, on_orders=False),
    Case(Operation.PLAN_DELIVERY_RUNS, "POST /api/v1/delivery/runs/{run_id}/driver", _run_step("driver"),
         on_orders=False),  # fmt: skip
    Case(Operation.DISPATCH_DELIVERY_RUN, "POST /api/v1/delivery/runs/{run_id}/dispatch", _run_step("dispatch"),
         on_orders=False),  # fmt: skip
    Case(Operation.COMPLETE_DELIVERY_STOP, "POST /api/v1/delivery/stops/{stop_id}/deliver", _stop_step("deliver"),
         on_orders=False),  # fmt: skip
    Case(Operation.COMPLETE_DELIVERY_STOP, "POST /api/v1/delivery/stops/{stop_id}/fail", _stop_step("fail"),
         on_orders=False),  # fmt: skip
    Case(Operation.BOOK_COURIER, "POST /api/v1/delivery/couriers/bookings", _book_courier, on_orders=False),
    Case(Operation.BOOK_COURIER, "POST /api/v1/delivery/couriers/bookings/{booking_id}/cancel", _cancel_courier,
         on_orders=False),  # fmt: skip
    Case(Operation.VIEW_DELIVERY_RUNS, "GET /api/v1/delivery/runs",
         lambda w, t, c: (f"delivery/runs?depot_id={t.pk}&date=2030-01-01", None), on_orders=False),  # fmt: skip
]


def _exchange(world, target, caller):
    """A handed-over line, and another variant of its product at the same price on the target's shelf."""
    order = _handed_over(world, target, caller)
    line = order.lines.get()
    variant = SKUFactory(product=line.sku.product, price=line.unit_price)
    receive_stock(actor=SYSTEM, location_id=target.pk, sku_id=variant.pk, quantity=1)
    return f"orders/{order.pk}/exchanges", {"line_id": line.pk, "to_sku_id": variant.pk, "quantity": 1}


CASES += [Case(Operation.EXCHANGE_GOODS, "POST /api/v1/orders/{order_id}/exchanges", _exchange)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.operation}:{case.endpoint.split('/', 3)[-1]}")
def test_the_api_answers_every_role_as_the_table_says(case, world):
    # given: fresh data for each caller and place; when: the caller asks; then: the table's answer
    mismatches = []
    for kind, where in itertools.product(CALLERS, WHERE):
        caller = _caller(kind, world)
        path, body = case.prepare(world, world.at(where), caller)
        response = _call(caller, case.endpoint, path, body)
        allowed = _expected(case, caller, world, where)
        ok = 200 <= response.status_code < 300 if allowed else response.status_code in (401, 403, 404)
        if not ok:
            mismatches.append(f"{kind} at {where}: {response.status_code} {response.content[:200]!r}, table: {allowed}")
    assert mismatches == []


def _endpoints() -> set[str]:
    schema = api.get_openapi_schema()
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def test_every_write_operation_of_the_api_is_walked():
    writes = {endpoint for endpoint in _endpoints() if not endpoint.startswith("GET ")}

    walked = {case.endpoint for case in CASES}

    assert writes - walked - PUBLIC.keys() == set()
    assert walked | PUBLIC.keys() <= _endpoints()


def test_every_operation_of_the_table_is_walked():
    assert {case.operation for case in CASES} == set(PERMISSIONS)


def test_docs_show_the_table():
    docs = Path(settings.BASE_DIR) / "docs" / "permissions.md"

    assert matrix_markdown() in docs.read_text(encoding="utf-8")

