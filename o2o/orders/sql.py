"""The order statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime

from o2o.catalog.models import SKU, Category
from o2o.core.sql import columns_of, execute, fetch_joined, fetch_models, moment
from o2o.orders.models import Order, OrderLine

# Conditional: only while the order is still in the state its caller saw. A time left NULL in
# the parameters keeps the one the order has.
_MOVE = """
UPDATE orders_order
SET state = %s, paid_at = COALESCE(%s, paid_at), closed_at = COALESCE(%s, closed_at)
WHERE id = %s AND state = %s
"""


def move_order(
    *, order_id: int, from_state: str, to_state: str, paid_at: datetime | None, closed_at: datetime | None
) -> bool:
    """Move the order from `from_state` to `to_state`; False if another request moved it first."""
    return execute(_MOVE, [to_state, moment(paid_at), moment(closed_at), order_id, from_state]) == 1


# Lines with their SKU's category: what every reaction to a payment reads of them. Every product
# has a category (a required key), so the joins drop no line. Also joined to the order a gateway
# payment locks (payments.sql), there read in the same statement.
LINES_AND_CATEGORIES = """orders_orderline
JOIN catalog_sku ON catalog_sku.id = orders_orderline.sku_id
JOIN catalog_product ON catalog_product.id = catalog_sku.product_id
JOIN catalog_category ON catalog_category.id = catalog_product.category_id"""
LINE_AND_CATEGORY_COLUMNS = f"{columns_of(OrderLine, 'orders_orderline')}, {columns_of(Category, 'catalog_category')}"

_LINES_WITH_CATEGORIES = f"""
SELECT {LINE_AND_CATEGORY_COLUMNS}
FROM {LINES_AND_CATEGORIES}
WHERE orders_orderline.order_id = %s
ORDER BY orders_orderline.id
"""


def lines_with_categories(order: Order) -> list[OrderLine]:
    """The order's lines, oldest first, each pointing at `order` and with the annotations
    `catalog.selectors.sku_categories("sku")` gives: its SKU's category and that category's parent."""
    found = fetch_joined([OrderLine, Category], _LINES_WITH_CATEGORIES, [order.pk])
    return [line_with_category(order, line, category) for line, category in found]


def line_with_category(order: Order, line: OrderLine, category: Category) -> OrderLine:
    """A row of LINE_AND_CATEGORY_COLUMNS as `lines_with_categories` gives it."""
    line.order = order
    line.sku_category_id, line.sku_parent_category_id = category.pk, category.parent_id
    return line


_LINES_WITH_SKUS = f"""
SELECT {columns_of(OrderLine, "orders_orderline")}, {columns_of(SKU, "catalog_sku")}
FROM orders_orderline
JOIN catalog_sku ON catalog_sku.id = orders_orderline.sku_id
WHERE orders_orderline.order_id = %s
ORDER BY orders_orderline.id
"""


def lines_with_skus(order: Order) -> list[OrderLine]:
    """The order's lines, oldest first, each pointing at `order` and with its SKU, as
    `prefetch_related("lines__sku")` reads them (what an order's answer shows of a line)."""
    lines = []
    for line, sku in fetch_joined([OrderLine, SKU], _LINES_WITH_SKUS, [order.pk]):
        line.order, line.sku = order, sku
        lines.append(line)
    return lines


_MEMBERS_ORDER = f"SELECT {columns_of(Order)} FROM orders_order WHERE id = %s AND member_id = %s"


def members_order(*, order_id: int, member_id: int) -> Order | None:
    """The order if it is this member's (a customer sees only their own orders), else None: the
    members' rule of selectors._visible_orders, which a change of that rule changes here too."""
    found = fetch_models(Order, _MEMBERS_ORDER, [order_id, member_id])
    return found[0] if found else None
