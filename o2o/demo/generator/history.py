"""Stock and order history, one store at a time.

Everything is decided in Python and written once with final numbers: a location's receipt is its
closing stock plus what it sold, and its StockLevel.reserved is what its waiting orders hold (each
with an active Reservation). So the ledger, the reservations and the book stock agree, and
audit_stock() finds nothing, without replaying the services row by row.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from o2o.catalog.models import Channel, Price
from o2o.core.money import to_money
from o2o.demo.generator.base import Run, Writer, record
from o2o.demo.generator.catalog import CatalogPlan
from o2o.demo.generator.orders import OrderMaker, Shelf, Shop, Source, Tally, opening_hours
from o2o.demo.generator.people import Members, Staff
from o2o.demo.generator.places import Places
from o2o.inventory.models import MoveKind, Reservation, StockLevel, StockMove
from o2o.orders.models import Order, OrderLine, OrderTransition
from o2o.payments.models import Payment
from o2o.pickup.models import PickupVoucher
from o2o.stores.models import Location

STORE_ALERT, WAREHOUSE_ALERT = 5, 50
STOCKED_SHARE = 0.93  # a store carries most of the range
LOW_STOCK_SHARE = 0.08  # and runs low on a few SKUs, so replenishment has work
PriceRow, StockLevelRow, StockMoveRow = record(Price), record(StockLevel), record(StockMove)


class History:
    """Each store's prices, orders and stock in turn, then the warehouse's stock."""

    MODELS = [Price, Order, OrderLine, Payment, PickupVoucher, OrderTransition, Reservation, StockLevel, StockMove]

    def __init__(
        self,
        run: Run,
        *,
        catalog: CatalogPlan,
        members: Members,
        staff: Staff,
        places: Places,
        orders_per_store_day: float,
    ) -> None:
        self.run, self.catalog, self.members, self.staff = run, catalog, members, staff
        self.per_day = orders_per_store_day if run.days else 0
        self.writer = Writer(self.MODELS, run.batch_size)
        self.opening = run.start + timedelta(hours=6)  # the opening stock arrives before day one
        online = [j for j in range(len(catalog)) if catalog.online[j]]
        self.depot = Source(places.warehouse.pk, Tally(), Shelf.of(online, catalog.popularity))
        self.orders = OrderMaker(run, catalog=catalog, members=members, writer=self.writer, depot=self.depot)

    # ---- per location ---------------------------------------------------------------------------

    def fill_store(self, location: Location, *, demo_member_shops_here: bool) -> None:
        rng = self.run.rng("store", location.code)
        shop = self._open(rng, location)
        for day in self.run.history_days():
            self._trade(rng, shop, day)
            self.writer.flush(if_over=self.run.batch_size * 10)
        if demo_member_shops_here and self.run.days:
            self._demo_member_orders(shop)
        self._stock(rng, location.pk, shop.stocked, shop.tally, alert=STORE_ALERT, high=120)
        self.writer.flush(if_over=self.run.batch_size * 10)

    def finish(self) -> dict[str, int]:
        rng = self.run.rng("warehouse")
        self._stock(
            rng,
            self.depot.location_id,
            list(range(len(self.catalog))),
            self.depot.tally,
            alert=WAREHOUSE_ALERT,
            high=2000,
        )
        self.writer.finish()
        return {m._meta.model_name: n for m, n in self.writer.written.items()}

    def _open(self, rng: random.Random, location: Location) -> Shop:
        c = self.catalog
        stocked = [j for j in range(len(c)) if rng.random() < STOCKED_SHARE]
        # A few local counter prices (clearance, neighbourhood competition) override the chain's.
        overrides = {j: to_money(c.shelf_price[j] * Decimal("0.9")) for j in stocked if rng.random() < 0.03}
        for j, amount in overrides.items():
            self.writer.add(PriceRow(sku_id=c.ids[j], channel=Channel.POS, location_id=location.pk, amount=amount))
        return Shop(
            location=location,
            counters=self.staff.counters[location.pk],
            clerks=self.staff.clerks[location.pk],
            stocked=stocked,
            overrides=overrides,
            counter_shelf=Shelf.of([j for j in stocked if c.offline[j]], c.popularity),
            online_shelf=Shelf.of([j for j in stocked if c.online[j]], c.popularity),
        )

    def _stock(
        self, rng: random.Random, location_id: int, positions: list[int], tally: Tally, *, alert: int, high: int
    ) -> None:
        for j in positions:
            held, sold = tally.held.get(j, 0), tally.sold.get(j, 0)
            spare = rng.randint(0, alert - 1) if rng.random() < LOW_STOCK_SHARE else rng.randint(alert + 1, high)
            if spare + held + sold == 0:
                spare = alert + 1  # every stock row starts with a receipt
            on_hand = spare + held
            sku_id = self.catalog.ids[j]
            self.writer.add(
                StockLevelRow(location_id=location_id, sku_id=sku_id, on_hand=on_hand, reserved=held, alert_level=alert)
            )
            self.writer.add(
                StockMoveRow(
                    location_id=location_id,
                    sku_id=sku_id,
                    kind=MoveKind.RECEIPT,
                    quantity=on_hand + sold,
                    reason="opening stock",
                    reference="demo:opening",
                    created_at=self.opening,
                )
            )

    # ---- a day of trade ---------------------------------------------------------------------------

    def _trade(self, rng: random.Random, shop: Shop, day: date) -> None:
        online_share = 0.45 if shop.takes_online else 0.0
        opens, closes = opening_hours(shop.location)
        orders = []
        for _ in range(self._orders_on(rng, day)):
            online = rng.random() < online_share
            # Counter sales peak in the evening; online orders run late into the night.
            hour = rng.triangular(7, 23.9, 20.5) if online else rng.triangular(opens, closes, closes - 2.5)
            orders.append((hour, online))
        for hour, online in sorted(orders):
            when = self.run.at(day, hour)
            member_id = self.members.pick(rng, before=when) if online else None
            if member_id is not None:
                self.orders.online(rng, shop, when, member_id)
            else:
                self.orders.counter_sale(rng, shop, when)

    def _orders_on(self, rng: random.Random, day: date) -> int:
        """More on weekends, a little more every week (the chain grows), and noise."""
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        growth = 0.85 + 0.3 * (1 - (self.run.today - day).days / max(self.run.days, 1))
        return round(self.per_day * weekend * growth * rng.uniform(0.75, 1.25))

    def _demo_member_orders(self, shop: Shop) -> None:
        """The demo member's own history at store 1, ending with a paid pickup waiting at the counter."""
        rng = self.run.rng("demo-member")
        days = self.run.history_days()
        member_id = self.members.demo_member_id
        for k in (1, 3):
            self.orders.counter_sale(rng, shop, self.run.at(days[len(days) * k // 5], 15.2), member_id=member_id)
        for k, channel in ((2, Channel.APP), (4, Channel.H5)):
            self.orders.online(
                rng, shop, self.run.at(days[len(days) * k // 5], 10.5), member_id, channel=channel, collect=True
            )
        self.orders.online(rng, shop, self.run.at(days[-1], 19.5), member_id, channel=Channel.APP, collect=False)
