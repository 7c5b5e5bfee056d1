"""How each kind of order unfolds (counter sale, pickup, delivery) and the rows it leaves behind.

Nothing here touches StockLevel: sales and holds are counted in a Tally per location, and the
history module writes the stock rows from those counts afterwards.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.conf import settings

from o2o.catalog.models import Channel
from o2o.core.money import to_money
from o2o.demo.generator.base import Run, Writer, record, scatter
from o2o.demo.generator.catalog import CatalogPlan
from o2o.demo.generator.data import DISTRICTS
from o2o.demo.generator.people import Counter, Members
from o2o.inventory.models import MoveKind, Reservation, StockMove
from o2o.orders.models import Fulfilment, Order, OrderLine, OrderTransition
from o2o.orders.models import OrderState as S
from o2o.payments.gateways import SimulatedGateway
from o2o.payments.models import Payment, PaymentMethod
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import VOUCHER_VALID_FOR
from o2o.stores.models import Location

# A pickup order is ready this long after payment; one paid in the last evening is still being prepared.
PREPARED_IN = timedelta(minutes=10)
PREPARING_WINDOW = timedelta(hours=3)
ONLINE_CHANNELS = [Channel.APP, Channel.H5, Channel.SHARE_LINK]
ONLINE_WEIGHTS = [50, 30, 20]
COUNTER_METHODS = [PaymentMethod.STORE_QR, PaymentMethod.CASH, PaymentMethod.CARD]
COUNTER_WEIGHTS = [60, 25, 15]
LINE_COUNTS, LINE_WEIGHTS = [1, 2, 3, 4], [50, 30, 15, 5]
QUANTITIES, QUANTITY_WEIGHTS = [1, 2, 3, 4, 5], [70, 20, 5, 3, 2]
Line = tuple[int, int, Decimal]  # SKU position, quantity, unit price
OrderRow, OrderLineRow, OrderTransitionRow = record(Order), record(OrderLine), record(OrderTransition)
PaymentRow, PickupVoucherRow = record(Payment), record(PickupVoucher)
ReservationRow, StockMoveRow = record(Reservation), record(StockMove)


@dataclass
class Tally:
    """What one location sold and what its waiting orders hold, by SKU position."""

    sold: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    held: dict[int, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class Shelf:
    """The SKUs a location offers on one side (counter or online), popular ones picked more often."""

    skus: list[int]
    cum_weights: list[float]

    @classmethod
    def of(cls, positions: list[int], popularity: list[float]) -> "Shelf":
        return cls(positions, list(accumulate(popularity[j] for j in positions)))

    def basket(self, rng: random.Random) -> list[tuple[int, int]]:
        if not self.skus:
            return []
        n = rng.choices(LINE_COUNTS, weights=LINE_WEIGHTS)[0]
        picked = dict.fromkeys(rng.choices(self.skus, cum_weights=self.cum_weights, k=n))
        return [(j, rng.choices(QUANTITIES, weights=QUANTITY_WEIGHTS)[0]) for j in picked]


@dataclass
class Shop:
    location: Location
    counters: list[Counter]  # manager and clerks
    clerks: list[Counter]
    stocked: list[int]
    counter_shelf: Shelf
    online_shelf: Shelf
    overrides: dict[int, Decimal]  # SKU position -> this store's counter price
    tally: Tally = field(default_factory=Tally)

    @property
    def takes_online(self) -> bool:
        return self.location.online_orders_reserve_stock

    @property
    def delivers(self) -> bool:
        return self.takes_online and self.location.delivery_radius_km > 0


@dataclass(frozen=True)
class Source:
    """Where an online order's goods come from."""

    location_id: int
    tally: Tally
    shelf: Shelf


class OrderMaker:
    """Builds orders with their lines, payment, voucher, history and stock effects, all in memory
    until the writer flushes them."""

    def __init__(self, run: Run, *, catalog: CatalogPlan, members: Members, writer: Writer, depot: Source) -> None:
        self.run, self.catalog, self.members, self.writer, self.depot = run, catalog, members, writer, depot
        self.sequence: dict[date, int] = defaultdict(int)
        self.vouchers = 0
        self.voucher_offset = run.rng("vouchers").randrange(10**12)
        self.payment_window = timedelta(minutes=settings.O2O_PAYMENT_DEADLINE_MINUTES)

    def counter_sale(self, rng: random.Random, shop: Shop, when: datetime, *, member_id: int | None = None) -> None:
        clerk = rng.choice(shop.counters)
        if member_id is None and rng.random() < 0.65:
            member_id = self.members.pick(rng, before=when)
        lines = self._priced(
            shop.counter_shelf.basket(rng), lambda j: shop.overrides.get(j, self.catalog.shelf_price[j])
        )
        if not lines:
            return
        paid = when + timedelta(seconds=rng.randint(30, 180))
        order, rows = self._order(
            when,
            lines,
            member_id=member_id,
            channel=Channel.POS,
            fulfilment=Fulfilment.IN_STORE,
            shop=shop,
            source_id=shop.location.pk,
            placed_by=clerk.user_id,
        )
        order.state, order.paid_at, order.closed_at = S.COMPLETED, paid, paid
        method = rng.choices(COUNTER_METHODS, weights=COUNTER_WEIGHTS)[0]
        self.writer.add(
            PaymentRow(
                order=order,
                method=method,
                state=Payment.State.SUCCEEDED,
                amount=order.total,
                location_id=shop.location.pk,
                received_by_id=clerk.user_id,
                created_at=paid,
                succeeded_at=paid,
            )
        )
        self._trail(order, [(S.PENDING_PAYMENT, S.PAID, paid), (S.PAID, S.COMPLETED, paid)], clerk.user_id)
        self._sell(shop.location.pk, shop.tally, order, lines, paid, clerk.user_id)

    def online(
        self,
        rng: random.Random,
        shop: Shop,
        when: datetime,
        member_id: int,
        *,
        channel: str | None = None,
        collect: bool | None = None,
    ) -> None:
        """An online order; `collect` forces a pickup collected (True) or still waiting (False)."""
        channel = channel or rng.choices(ONLINE_CHANNELS, weights=ONLINE_WEIGHTS)[0]
        referrer = rng.choice(shop.clerks).employee_id if channel == Channel.SHARE_LINK else None
        pickup = collect is not None or rng.random() < 0.75
        source = self._here(shop) if pickup or (shop.delivers and rng.random() < 0.5) else self.depot
        lines = self._priced(source.shelf.basket(rng), lambda j: self.catalog.online_price[j])
        if not lines:
            return
        order, rows = self._order(
            when,
            lines,
            member_id=member_id,
            channel=channel,
            shop=shop,
            fulfilment=Fulfilment.PICKUP if pickup else Fulfilment.DELIVERY,
            source_id=source.location_id,
            referrer_id=referrer,
            address="" if pickup else _address(rng),
        )
        if collect is None and rng.random() < 0.04:  # never paid: the deadline cancelled it
            order.state, order.closed_at = S.CANCELLED, order.payment_deadline
            self._trail(
                order, [(S.PENDING_PAYMENT, S.CANCELLED, order.payment_deadline)], None, note="payment deadline passed"
            )
            return
        paid = when + timedelta(seconds=rng.randint(40, 300))
        order.paid_at = paid
        self.writer.add(
            PaymentRow(
                order=order,
                method=PaymentMethod.ONLINE_QR,
                state=Payment.State.SUCCEEDED,
                amount=order.total,
                gateway=SimulatedGateway.name,
                gateway_ref=f"demo-{order.number}",
                gateway_txn_id=f"SIM{order.number}",
                created_at=when + timedelta(seconds=20),
                succeeded_at=paid,
            )
        )
        if pickup:
            self._pickup(rng, shop, order, lines, rows, collect)
        else:
            self._deliver(rng, source, order, lines, rows)

    def _pickup(
        self,
        rng: random.Random,
        shop: Shop,
        order: Order,
        lines: list[Line],
        rows: list[OrderLine],
        collect: bool | None,
    ) -> None:
        paid = order.paid_at
        delay = 2.0 if collect else min(rng.expovariate(1 / 8), 72) + 0.25
        collected = self._in_hours(rng, shop.location, paid + timedelta(hours=delay))
        voucher = PickupVoucherRow(
            order=order,
            location_id=shop.location.pk,
            code=self._voucher_code(),
            issued_at=paid,
            expires_at=paid + VOUCHER_VALID_FOR,
        )
        self.writer.add(voucher)
        ready = paid + PREPARED_IN  # the store prepared it (o2o/demo/generator/preparation.py adds the rows)
        if collect is None and paid >= self.run.end - PREPARING_WINDOW:  # paid last evening: prepared this morning
            self._trail(order, [(S.PENDING_PAYMENT, S.PAID, paid)], None)
            order.state = S.PAID
            self._hold(order, lines, rows, self._here(shop))
            return
        steps = [(S.PENDING_PAYMENT, S.PAID, paid), (S.PAID, S.READY_FOR_PICKUP, ready)]
        self._trail(order, steps, None)
        if collect is False or collected >= self.run.end:
            order.state = S.READY_FOR_PICKUP
            self._hold(order, lines, rows, self._here(shop))
            return
        clerk = rng.choice(shop.counters)
        order.state, order.closed_at = S.PICKED_UP, collected
        voucher.state = PickupVoucher.State.REDEEMED
        voucher.redeemed_at, voucher.redeemed_by_id = collected, clerk.user_id
        self._trail(order, [(S.READY_FOR_PICKUP, S.PICKED_UP, collected)], clerk.user_id)
        self._sell(shop.location.pk, shop.tally, order, lines, collected, clerk.user_id)

    def _deliver(
        self, rng: random.Random, source: Source, order: Order, lines: list[Line], rows: list[OrderLine]
    ) -> None:
        paid = order.paid_at
        dispatched = paid + timedelta(hours=rng.uniform(0.5, 3))
        delivered = dispatched + timedelta(hours=rng.uniform(0.5, 6))
        self._trail(order, [(S.PENDING_PAYMENT, S.PAID, paid)], None)
        if dispatched >= self.run.end:  # paid last night, leaves this morning
            order.state = S.PAID
            self._hold(order, lines, rows, source)
            return
        self._sell(source.location_id, source.tally, order, lines, dispatched, None)
        self._trail(order, [(S.PAID, S.OUT_FOR_DELIVERY, dispatched)], None)
        if delivered >= self.run.end:
            order.state = S.OUT_FOR_DELIVERY
            return
        order.state, order.closed_at = S.DELIVERED, delivered
        self._trail(order, [(S.OUT_FOR_DELIVERY, S.DELIVERED, delivered)], None)

    # ---- rows -----------------------------------------------------------------------------------------

    def _order(
        self,
        when: datetime,
        lines: list[Line],
        *,
        member_id: int | None,
        channel: str,
        fulfilment: str,
        shop: Shop,
        source_id: int,
        placed_by: int | None = None,
        referrer_id: int | None = None,
        address: str = "",
    ) -> tuple[Order, list[OrderLine]]:
        total = to_money(sum((price * q for _j, q, price in lines), Decimal(0)))
        order = OrderRow(
            number=self._number(when),
            member_id=member_id,
            channel=channel,
            fulfilment=fulfilment,
            state=S.PENDING_PAYMENT,
            selling_location_id=shop.location.pk,
            fulfilment_location_id=source_id,
            placed_by_id=placed_by,
            referrer_id=referrer_id,
            delivery_address=address,
            subtotal=total,
            total=total,
            payment_deadline=when + self.payment_window,
            created_at=when,
        )
        self.writer.add(order)
        rows = [
            OrderLineRow(
                order=order, sku_id=self.catalog.ids[j], quantity=q, unit_price=price, line_total=to_money(price * q),
                net_amount=to_money(price * q),
            )
            for j, q, price in lines
        ]
        for row in rows:
            self.writer.add(row)
        self._trail(order, [("", S.PENDING_PAYMENT, when)], placed_by)
        return order, rows

    def _priced(self, basket: list[tuple[int, int]], price_of) -> list[Line]:
        return [(j, q, price_of(j)) for j, q in basket]

    def _trail(
        self, order: Order, steps: list[tuple[str, str, datetime]], actor_id: int | None, note: str = ""
    ) -> None:
        for from_state, to_state, at in steps:
            self.writer.add(
                OrderTransitionRow(
                    order=order, from_state=from_state, to_state=to_state, actor_id=actor_id, note=note, at=at
                )
            )

    def _sell(
        self, location_id: int, tally: Tally, order: Order, lines: list[Line], at: datetime, actor_id: int | None
    ) -> None:
        for j, q, _price in lines:
            tally.sold[j] += q
            self.writer.add(
                StockMoveRow(
                    location_id=location_id,
                    sku_id=self.catalog.ids[j],
                    kind=MoveKind.SALE,
                    quantity=-q,
                    actor_id=actor_id,
                    reference=f"order:{order.number}",
                    created_at=at,
                )
            )

    def _hold(self, order: Order, lines: list[Line], rows: list[OrderLine], source: Source) -> None:
        """A paid order waiting for its goods keeps them reserved until hand-over (no expiry)."""
        for (j, q, _price), row in zip(lines, rows, strict=True):
            source.tally.held[j] += q
            self.writer.add(
                ReservationRow(
                    order_line=row,
                    location_id=source.location_id,
                    sku_id=row.sku_id,
                    quantity=q,
                    state=Reservation.State.ACTIVE,
                    expires_at=None,
                    created_at=order.created_at,
                )
            )

    def _here(self, shop: Shop) -> Source:
        return Source(shop.location.pk, shop.tally, shop.online_shelf)

    def _number(self, when: datetime) -> str:
        """Date, then a 0 (never in live numbers, whose letters skip 0 and 1), then a daily sequence."""
        day = when.date()
        self.sequence[day] += 1
        return f"{day:%y%m%d}0{self.sequence[day]:07d}"

    def _voucher_code(self) -> str:
        self.vouchers += 1
        return f"{scatter(self.vouchers, modulus=10**12, multiplier=736_878_913, offset=self.voucher_offset):012d}"

    def _in_hours(self, rng: random.Random, location: Location, moment: datetime) -> datetime:
        """The moment, or the next opening hour if the store is closed then."""
        opens, closes = opening_hours(location)
        local = moment.astimezone(self.run.tz)
        hour = local.hour + local.minute / 60
        if opens <= hour < closes:
            return moment
        day = local.date() if hour < opens else local.date() + timedelta(days=1)
        return self.run.at(day, opens + rng.uniform(0, 2))


def opening_hours(location: Location) -> tuple[float, float]:
    return (
        location.opens_at.hour + location.opens_at.minute / 60,
        location.closes_at.hour + location.closes_at.minute / 60,
    )


def _address(rng: random.Random) -> str:
    _code, district, _lat, _lng, streets = rng.choice(DISTRICTS)
    return (
        f"上海市{district}{rng.choice(streets)}{rng.randint(1, 999)}弄"
        f"{rng.randint(1, 40)}号{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
    )
