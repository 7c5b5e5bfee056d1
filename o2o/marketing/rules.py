"""Segment rules: a small closed set of conditions on members, combined with AND, compiled to one
ORM query (EXISTS / scalar subqueries on the member row), the same on SQLite and PostgreSQL.

A rule is a JSON object with a "kind" and its parameters:

    {"kind": "purchased_within", "days": 30}             paid an order in the last N days
    {"kind": "not_purchased_within", "days": 90}         has paid orders, none in the last N days
    {"kind": "spend_at_least", "amount": "500.00", "days": 365}   paid, net of refunds, in N days
    {"kind": "spend_at_most", "amount": "100.00", "days": 365}
    {"kind": "bought_in_stores", "location_ids": [3, 4]} sold by one of these stores
    {"kind": "bought_category", "category_id": 7}        a line of this category (or a direct child)
    {"kind": "category_not_bought_within", "category_id": 7, "days": 180}
                                                         bought that category once, not in the last
                                                         N days (e.g. an oil change is due)
    {"kind": "channel", "value": "online" | "in_store" | "both"}  bought only online, only in
                                                         store, or in both
    {"kind": "level", "level_ids": [1, 2]}               member level is one of these
    {"kind": "registered_within", "days": 30}
    {"kind": "marketing_consent", "value": true}

Anonymised (deleted) members are never in a segment."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.members.models import Member
from o2o.orders.models import PAID_STATES, Order, OrderLine

MAX_RULES = 10
MAX_DAYS = 3650
MAX_IDS = 100
MAX_AMOUNT = Decimal("9999999999.99")
CHANNELS = ("online", "in_store", "both")


def _invalid(index: int, message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID, f"rule {index + 1}: {message}", rule=index)


def _days(rule: dict, index: int) -> int:
    days = rule.get("days")
    if type(days) is not int or not 1 <= days <= MAX_DAYS:
        raise _invalid(index, f"days is a whole number from 1 to {MAX_DAYS}")
    return days


def _amount(rule: dict, index: int) -> str:
    raw = rule.get("amount")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _invalid(index, "amount is a number with at most two decimals")
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise _invalid(index, "amount is a number with at most two decimals") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise _invalid(index, "amount is a number with at most two decimals")
    return str(amount.quantize(Decimal("0.01")))


def _ids(rule: dict, key: str, index: int) -> list[int]:
    ids = rule.get(key)
    valid = isinstance(ids, list) and 1 <= len(ids) <= MAX_IDS
    if not valid or any(type(i) is not int or not 0 < i < 2**63 for i in ids):
        raise _invalid(index, f"{key} is a list of 1 to {MAX_IDS} ids")
    return sorted(set(ids))


def _id(rule: dict, key: str, index: int) -> int:
    value = rule.get(key)
    if type(value) is not int or not 0 < value < 2**63:
        raise _invalid(index, f"{key} is an id")
    return value


def _choice(rule: dict, index: int) -> str:
    value = rule.get("value")
    if value not in CHANNELS:
        raise _invalid(index, f"value is one of {', '.join(CHANNELS)}")
    return value


def _flag(rule: dict, index: int) -> bool:
    value = rule.get("value")
    if type(value) is not bool:
        raise _invalid(index, "value is true or false")
    return value


# kind -> the normalised parameters of a rule of that kind
_PARAMETERS: dict[str, Callable[[dict, int], dict[str, Any]]] = {
    "purchased_within": lambda r, i: {"days": _days(r, i)},
    "not_purchased_within": lambda r, i: {"days": _days(r, i)},
    "spend_at_least": lambda r, i: {"amount": _amount(r, i), "days": _days(r, i)},
    "spend_at_most": lambda r, i: {"amount": _amount(r, i), "days": _days(r, i)},
    "bought_in_stores": lambda r, i: {"location_ids": _ids(r, "location_ids", i)},
    "bought_category": lambda r, i: {"category_id": _id(r, "category_id", i)},
    "category_not_bought_within": lambda r, i: {"category_id": _id(r, "category_id", i), "days": _days(r, i)},
    "channel": lambda r, i: {"value": _choice(r, i)},
    "level": lambda r, i: {"level_ids": _ids(r, "level_ids", i)},
    "registered_within": lambda r, i: {"days": _days(r, i)},
    "marketing_consent": lambda r, i: {"value": _flag(r, i)},
}
KINDS = tuple(_PARAMETERS)


def validate(rules: Any) -> list[dict]:
    """The rules, checked and normalised (unknown keys dropped); a DomainError(INVALID) names the
    first bad rule."""
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise DomainError(ErrorCode.INVALID, f"rules are a list of at most {MAX_RULES} conditions")
    normalised = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or rule.get("kind") not in _PARAMETERS:
            raise _invalid(index, f"kind is one of {', '.join(KINDS)}")
        normalised.append({"kind": rule["kind"], **_PARAMETERS[rule["kind"]](rule, index)})
    return normalised


def _paid_orders() -> QuerySet:
    return Order.objects.filter(member=OuterRef("pk"), state__in=PAID_STATES)


def _since(days: int):
    return timezone.now() - timedelta(days=days)


def _spend(days: int):
    """The member's paid orders in the last N days, net of refunds (0 when none)."""
    net = (
        _paid_orders()
        .filter(paid_at__gte=_since(days))
        .order_by()
        .values("member")
        .annotate(net=Sum(F("total") - F("refunded_total")))
        .values("net")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(net, output_field=money), Value(Decimal("0.00")), output_field=money)


def _category_lines(category: int) -> QuerySet:
    """The member's paid order lines of this category (or a direct child)."""
    return OrderLine.objects.filter(order__member=OuterRef("pk"), order__state__in=PAID_STATES).filter(
        Q(sku__product__category_id=category) | Q(sku__product__category__parent_id=category)
    )


def _online() -> Q:
    return Q(channel__in=Channel.online())


def _condition(rule: dict) -> Q:
    kind = rule["kind"]
    if kind == "purchased_within":
        return Q(Exists(_paid_orders().filter(paid_at__gte=_since(rule["days"]))))
    if kind == "not_purchased_within":
        recent = Exists(_paid_orders().filter(paid_at__gte=_since(rule["days"])))
        return Q(Exists(_paid_orders())) & ~Q(recent)
    if kind == "bought_in_stores":
        return Q(Exists(_paid_orders().filter(selling_location_id__in=rule["location_ids"])))
    if kind == "bought_category":
        return Q(Exists(_category_lines(rule["category_id"])))
    if kind == "category_not_bought_within":
        lines = _category_lines(rule["category_id"])
        return Q(Exists(lines)) & ~Q(Exists(lines.filter(order__paid_at__gte=_since(rule["days"]))))
    if kind == "channel":
        online = Exists(_paid_orders().filter(_online()))
        in_store = Exists(_paid_orders().exclude(_online()))
        return {
            "online": Q(online) & ~Q(in_store),
            "in_store": Q(in_store) & ~Q(online),
            "both": Q(online) & Q(in_store),
        }[rule["value"]]
    if kind == "level":
        return Q(level_id__in=rule["level_ids"])
    if kind == "registered_within":
        return Q(created_at__gte=_since(rule["days"]))
    if kind == "marketing_consent":
        return Q(marketing_consent=rule["value"])
    raise AssertionError(kind)  # validate() lets no other kind through; spend rules are annotations


def members_matching(rules: list[dict]) -> QuerySet[Member]:
    """One query: the members every (validated) rule holds for."""
    queryset = Member.objects.filter(anonymised_at__isnull=True)
    for index, rule in enumerate(rules):
        if rule["kind"] in ("spend_at_least", "spend_at_most"):
            alias = f"spend_{index}"
            queryset = queryset.alias(**{alias: _spend(rule["days"])})
            lookup = "gte" if rule["kind"] == "spend_at_least" else "lte"
            queryset = queryset.filter(**{f"{alias}__{lookup}": Decimal(rule["amount"])})
        else:
            queryset = queryset.filter(_condition(rule))
    return queryset
