"""The placeholders each kind of message may use, and the texts the chain starts with (seeded into
NotificationTemplate by a data migration; HQ edits them there). Template texts are data in both
languages, not gettext strings: HQ changes them without a release."""

from o2o.notifications.models import Channel, Kind, Language

_ORDER = frozenset({"name", "order_number", "store"})
_PICKUP = _ORDER | {"pickup_code", "pickup_number"}

PLACEHOLDERS: dict[str, frozenset[str]] = {
    Kind.PAID: _ORDER | {"amount"},
    Kind.PAID_PICKUP: _PICKUP | {"amount"},
    Kind.READY_FOR_PICKUP: _PICKUP,
    Kind.PICKUP_REMINDER: _PICKUP | {"expires_at"},
    Kind.PICKED_UP: _ORDER,
    Kind.OUT_FOR_DELIVERY: _ORDER | {"eta"},
    Kind.DELIVERED: _ORDER,
    Kind.REFUNDED: _ORDER | {"amount"},
    Kind.INCIDENT_UPDATE: _ORDER | {"remedy"},  # remedy: what was done, in the member's language
    Kind.MARKETING: frozenset({"name", "content"}),
}

# (kind, language) -> the text of SMS and app push; WeChat gets it as data fields (below).
TEXTS: dict[tuple[str, str], str] = {
    (Kind.PAID, Language.ZH_HANS): "订单{order_number}已支付{amount}元，{store}正在为您准备。",
    (Kind.PAID, Language.EN): "Order {order_number}: {amount} yuan paid; {store} is preparing it.",
    (Kind.PAID_PICKUP, Language.ZH_HANS): (
        "订单{order_number}已支付{amount}元。取货码{pickup_code}{pickup_number}，请到{store}出示取货。"
    ),
    (Kind.PAID_PICKUP, Language.EN): (
        "Order {order_number}: {amount} yuan paid. Pickup code {pickup_code}{pickup_number}; show it at {store}."
    ),
    (
        Kind.READY_FOR_PICKUP,
        Language.ZH_HANS,
    ): "订单{order_number}已备好，请凭取货码{pickup_code}{pickup_number}到{store}取货。",
    (Kind.READY_FOR_PICKUP, Language.EN): (
        "Order {order_number} is ready at {store}. Pickup code {pickup_code}{pickup_number}."
    ),
    (Kind.PICKUP_REMINDER, Language.ZH_HANS): (
        "订单{order_number}还在{store}等您，请在{expires_at}前凭取货码{pickup_code}{pickup_number}取货。"
    ),
    (Kind.PICKUP_REMINDER, Language.EN): (
        "Order {order_number} waits for you at {store} until {expires_at}. Pickup code {pickup_code}{pickup_number}."
    ),
    (Kind.PICKED_UP, Language.ZH_HANS): "订单{order_number}已在{store}取货，感谢惠顾。",
    (Kind.PICKED_UP, Language.EN): "Order {order_number} was picked up at {store}. Thank you.",
    (Kind.OUT_FOR_DELIVERY, Language.ZH_HANS): "订单{order_number}已从{store}出发配送，预计{eta}送达。",
    (Kind.OUT_FOR_DELIVERY, Language.EN): "Order {order_number} is on its way from {store}, expected {eta}.",
    (Kind.DELIVERED, Language.ZH_HANS): "订单{order_number}已送达，感谢惠顾。",
    (Kind.DELIVERED, Language.EN): "Order {order_number} was delivered. Thank you.",
    (Kind.REFUNDED, Language.ZH_HANS): "订单{order_number}已退款{amount}元，将原路退回。",
    (Kind.REFUNDED, Language.EN): "Order {order_number}: {amount} yuan refunded to how you paid.",
    (Kind.INCIDENT_UPDATE, Language.ZH_HANS): "订单{order_number}：{remedy}",
    (Kind.INCIDENT_UPDATE, Language.EN): "Order {order_number}: {remedy}",
    (Kind.MARKETING, Language.ZH_HANS): "{name}您好，{content} 回复TD退订",
    (Kind.MARKETING, Language.EN): "Hello {name}, {content} Reply STOP to opt out.",
}


def default_body(kind: str, language: str, channel: str) -> str:
    text = TEXTS[(kind, language)]
    if channel == Channel.WECHAT:  # a subscription message: one line per data field
        first = "character_string1: {order_number}\n" if "order_number" in PLACEHOLDERS[kind] else ""
        return f"{first}thing2: {text}"
    return text


def all_defaults() -> list[tuple[str, str, str, str]]:
    """(kind, language, channel, body) of every template."""
    return [
        (kind, language, channel, default_body(kind, language, channel))
        for kind in Kind.values
        for language in Language.values
        for channel in Channel.values
    ]
