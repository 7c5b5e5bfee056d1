"""Deterministic demo data: one Shanghai chain with stock, staff, members and order history.

The same seed gives the same names, codes, quantities and order numbers (timestamps count back
from the day of generation). Sizes scale from a laptop demo to benchmark volumes: rows are
written in batches and nothing holds a million model objects at once.
"""

from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from o2o.demo.generator.aisles import create_aisles
from o2o.demo.generator.attribution import create_attribution
from o2o.demo.generator.base import Output, Run, explicit_timestamps
from o2o.demo.generator.cashbook import create_cashbook
from o2o.demo.generator.catalog import create_catalog
from o2o.demo.generator.commission import create_commission
from o2o.demo.generator.coupons import create_coupons
from o2o.demo.generator.delivery import create_delivery
from o2o.demo.generator.flashsale import create_flash_sales
from o2o.demo.generator.history import History
from o2o.demo.generator.knowledge import create_knowledge
from o2o.demo.generator.leads import create_leads
from o2o.demo.generator.loyalty import create_loyalty
from o2o.demo.generator.marketing import create_marketing
from o2o.demo.generator.outreach import create_outreach
from o2o.demo.generator.people import (
    DEMO_MEMBER_NAME,
    DEMO_MEMBER_PHONE,
    PASSWORD,
    create_groups,
    create_members,
    create_staff,
)
from o2o.demo.generator.places import create_places
from o2o.demo.generator.preparation import create_preparations
from o2o.demo.generator.privacy import create_consent_history
from o2o.demo.generator.promotions import create_promotions
from o2o.demo.generator.replenishment import create_replenishment
from o2o.demo.generator.rewards import create_rewards
from o2o.demo.generator.service import create_service
from o2o.demo.generator.staffing import create_staffing
from o2o.demo.generator.toolbox import create_toolbox
from o2o.demo.generator.wallet import create_wallets
from o2o.inventory.models import Reservation, StockMove
from o2o.members.models import Member
from o2o.orders.models import Order, OrderTransition
from o2o.payments.models import Payment
from o2o.pickup.models import PickupVoucher

__all__ = [
    "DEFAULT_ORDERS_PER_STORE_DAY",
    "ORDER_BUDGET",
    "default_orders_per_store_day",
    "DEMO_MEMBER_NAME",
    "DEMO_MEMBER_PHONE",
    "PASSWORD",
    "DemoSummary",
    "generate_demo",
    "reset_demo",
]

DEFAULT_ORDERS_PER_STORE_DAY = 30
# Orders in a history at the default rate: the rate drops below 30 a store a day when stores x days
# would pass this (1,000 stores: 11 a day; 10,000 stores: 1.1 a day), so large chains generate in
# minutes, not hours. An explicit --orders-per-store-day is taken as given.
ORDER_BUDGET = 1_000_000
# Models whose auto_now_add timestamps the generator sets to historical moments.
_BACKDATED = (Member, Order, OrderTransition, Payment, PickupVoucher, Reservation, StockMove)


def default_orders_per_store_day(*, stores: int, days: int) -> float:
    """30 a store a day, or fewer so that the whole history stays within ORDER_BUDGET orders."""
    if stores * days == 0:
        return DEFAULT_ORDERS_PER_STORE_DAY
    return min(DEFAULT_ORDERS_PER_STORE_DAY, round(ORDER_BUDGET / (stores * days), 2))


@dataclass(frozen=True)
class DemoSummary:
    stores: int
    skus: int
    members: int
    orders: int
    first_store_code: str


def generate_demo(
    *,
    seed: int = 42,
    stores: int = 8,
    skus: int = 200,
    members: int = 2000,
    days: int = 90,
    orders_per_store_day: float = DEFAULT_ORDERS_PER_STORE_DAY,
    stdout: Output | None = None,
    today: date | None = None,
    batch_size: int = 2000,
) -> DemoSummary:
    """Fill an empty database with the demo chain, in one transaction (all or nothing).

    `days=0` or `orders_per_store_day=0` skips the order history; stock is still there.
    `batch_size` is rows per INSERT: PostgreSQL allows 65,535 parameters per statement and an
    order row has about 20, so stay at or below 3,000.
    """
    if min(stores, skus, members) < 1 or min(days, orders_per_store_day) < 0:
        raise ValueError("stores, skus and members must be at least 1; days and orders not negative")
    run = Run(
        seed=seed,
        today=today or timezone.localdate(),
        days=days,
        tz=timezone.get_current_timezone(),
        batch_size=batch_size,
        stdout=stdout,
    )
    with transaction.atomic(), explicit_timestamps(*_BACKDATED):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # A large page cache keeps the indexes in memory while millions of rows go in.
                cursor.execute("PRAGMA cache_size = -524288")  # KiB: 512 MiB
        places = create_places(run, stores=stores)
        catalog = create_catalog(run, skus=skus)
        staff = create_staff(run, places=places, groups=create_groups())
        pool = create_members(run, count=members, places=places, staff=staff)
        history = History(
            run, catalog=catalog, members=pool, staff=staff, places=places, orders_per_store_day=orders_per_store_day
        )
        step = max(len(places.stores) // 20, 1)
        for i, store in enumerate(places.stores):
            history.fill_store(store, demo_member_shops_here=i == 0)
            if (i + 1) % step == 0 or i + 1 == len(places.stores):
                run.say(f"stores: {i + 1}/{len(places.stores)} with stock and history")
        written = history.finish()
        create_consent_history(run)  # the consent given at joining, as its first record
        create_cashbook(run)  # franchise shares and past daily closes (o2o/demo/generator/cashbook.py)
        create_wallets(run)  # top-up tiers and some members' wallets (o2o/demo/generator/wallet.py)
        create_loyalty(run)  # levels, points and growth from the history (o2o/demo/generator/loyalty.py)
        create_flash_sales(run)  # one open now, one tomorrow at 10:00 (o2o/demo/generator/flashsale.py)
        create_coupons(run)  # templates and granted coupons (o2o/demo/generator/coupons.py)
        create_promotions(run)  # spend tiers, category percent, buy 2 get 1 (o2o/demo/generator/promotions.py)
        create_rewards(run)  # referral programme, red packet, check-in QR (o2o/demo/generator/rewards.py)
        create_marketing(run)  # a campaign, segments, a draft broadcast (o2o/demo/generator/marketing.py)
        create_outreach(run)  # business cards and share-link visits (o2o/demo/generator/outreach.py)
        create_leads(run)  # leads, notes, tags and follow-ups of store staff (o2o/demo/generator/leads.py)
        create_attribution(run)  # the matrix and the history's line credits (o2o/demo/generator/attribution.py)
        create_commission(run)  # a plan and the ledger of the credits (o2o/demo/generator/commission.py)
        create_toolbox(run)  # materials, shares, opens, forwards, inquiries (o2o/demo/generator/toolbox.py)
        create_staffing(run)  # teams, support requests between stores (o2o/demo/generator/staffing.py)
        create_knowledge(run)  # knowledge-base articles and versions (o2o/demo/generator/knowledge.py)
        create_service(run)  # CS agents, tickets, member tags, notes, visits (o2o/demo/generator/service.py)
        create_replenishment(run)  # target levels, proposals, a requested transfer (demo/generator/replenishment.py)
        create_aisles(run)  # the stores' shelf plans, so a count can cover one aisle (demo/generator/aisles.py)
        create_preparations(run)  # the queue behind orders still at the stores (demo/generator/preparation.py)
        create_delivery(run)  # vans, drivers (driver1 at /driver/), today's runs (demo/generator/delivery.py)
    run.say("rows: " + ", ".join(f"{n} {name}" for name, n in written.items()))
    return DemoSummary(
        stores=stores,
        skus=len(catalog),
        members=members,
        orders=written.get("order", 0),
        first_store_code=places.stores[0].code,
    )


def reset_demo() -> None:
    """Empty every table of the o2o apps, and the users and groups: the demo owns the database.

    Tables are listed from the app registry, not by hand, so apps added later are emptied too;
    tables that point at them (admin log, ...) are emptied with them (TRUNCATE ... CASCADE).
    """
    User = get_user_model()  # noqa: N806 - the usual Django spelling
    models = [m for m in apps.get_models(include_auto_created=True) if m._meta.app_config.name.startswith("o2o.")]
    models += [User, Group, User.groups.through, User.user_permissions.through, Group.permissions.through]
    existing = set(connection.introspection.table_names())
    tables = sorted({m._meta.db_table for m in models if m._meta.managed and not m._meta.proxy} & existing)
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # TRUNCATE refuses tables with deferred foreign-key checks still pending in this
        # transaction (rows written earlier in it, as in tests); run those checks now.
        connection.check_constraints()
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    )
