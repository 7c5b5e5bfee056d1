"""Group buys (拼团) and chain sign-ups (接龙): docs/groupbuy.md."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.api.auth import AUTH, actor
from o2o.api.types import Id, IdempotencyKey, Money, Quantity
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.groupbuy import chains, selectors, services
from o2o.orders import selectors as order_selectors

group_buys = Router(tags=["group buys"])
groups = Router(tags=["group buys"])
chain_router = Router(tags=["chain sign-ups"])


def _anonymous(request: HttpRequest) -> Actor:
    return Actor()


PUBLIC = [*AUTH, _anonymous]


# --- group buys --------------------------------------------------------------------------------


class OfferIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    sku_id: Id
    group_price: Money
    group_size: int = Field(ge=2, le=100, strict=True)
    time_limit_hours: int = Field(ge=1, le=168, strict=True)
    starts_at: datetime
    ends_at: datetime
    location_ids: list[Id] = Field(min_length=1, max_length=50)
    per_member_limit: int = Field(1, ge=1, le=99, strict=True)
    campaign_id: Id | None = None


class OfferOut(Schema):
    id: int
    name: str
    sku_id: int
    sku_name: str
    group_price: Decimal
    group_size: int
    time_limit_hours: int
    starts_at: datetime
    ends_at: datetime
    per_member_limit: int
    location_ids: list[int]
    is_active: bool

    @staticmethod
    def resolve_sku_name(offer) -> str:
        return offer.sku.name

    @staticmethod
    def resolve_location_ids(offer) -> list[int]:
        return sorted(location.pk for location in offer.locations.all())


class GroupOut(Schema):
    id: int
    offer_id: int
    state: str
    size: int
    member_count: int = Field(description="Seats taken (paid or waiting for payment)")
    paid_count: int
    expires_at: datetime
    leader: str = Field(description="The leader's masked name")
    share_path: str = Field(description="The page that invites friends to join")

    @staticmethod
    def resolve_leader(group) -> str:
        return selectors.masked_name(group.leader.name)

    @staticmethod
    def resolve_share_path(group) -> str:
        return f"/shop/groups/{group.pk}/"


class OfferDetailOut(OfferOut):
    open_groups: list[GroupOut]


class SeatIn(Schema):
    location_id: Id = Field(description="The store to pick up at (one of the offer's)")
    quantity: Quantity = Field(1, le=99)
    channel: Channel = Channel.APP


class SeatOut(Schema):
    group: GroupOut
    order_id: int
    order_number: str
    total: Decimal
    payment_deadline: datetime | None


class MySeatOut(Schema):
    group: GroupOut
    order_id: int
    order_state: str
    on_hold: bool

    @staticmethod
    def resolve_order_state(seat) -> str:
        return seat.order.state

    @staticmethod
    def resolve_on_hold(seat) -> bool:
        return seat.order.on_hold


def _seat(who: Actor, group, order) -> Status:
    order = order_selectors.get_order_for(actor=who, order_id=order.pk)
    group = selectors.get_group(group.pk)
    return Status(
        201,
        {
            "group": group,
            "order_id": order.pk,
            "order_number": order.number,
            "total": order.total,
            "payment_deadline": order.payment_deadline,
        },
    )


@group_buys.get("", response=list[OfferOut], auth=PUBLIC)
def list_offers(request: HttpRequest):
    """Group buys running now."""
    return list(selectors.running_offers()[:100])


@group_buys.post("", response={201: OfferOut})
def create_offer(request: HttpRequest, payload: OfferIn):
    """Marketers: a SKU at a group price for groups of N who pay within T hours."""
    offer = services.create_offer(actor=actor(request), **payload.dict())
    return Status(201, selectors.get_offer(offer.pk))


@group_buys.get("/{offer_id}", response=OfferDetailOut, auth=PUBLIC)
def get_offer(request: HttpRequest, offer_id: Id):
    """The offer with its groups open to join (counts and the leader's masked name only)."""
    offer = selectors.get_offer(offer_id)
    offer.open_groups = selectors.joinable_groups(offer_id)
    return offer


@group_buys.post("/{offer_id}/groups", response={201: SeatOut})
def open_group(request: HttpRequest, offer_id: Id, payload: SeatIn, idempotency_key: IdempotencyKey = None):
    """Members: open a new group and take its first seat; the order is to be paid by its deadline
    and is held until the group completes (refunded in full if it fails)."""
    who = actor(request)
    group, order = services.open_group(actor=who, offer_id=offer_id, idempotency_key=idempotency_key, **payload.dict())
    return _seat(who, group, order)


@groups.get("/mine", response=list[MySeatOut])
def my_groups(request: HttpRequest):
    who = actor(request)
    authorize(who, Operation.JOIN_GROUP_BUY)
    if who.member is None:
        raise DomainError(ErrorCode.FORBIDDEN, "members have groups")
    return selectors.groups_of_member(who.member.pk)


@groups.get("/{group_id}", response=GroupOut, auth=PUBLIC)
def get_group(request: HttpRequest, group_id: Id):
    return selectors.get_group(group_id)


@groups.post("/{group_id}/join", response={201: SeatOut})
def join_group(request: HttpRequest, group_id: Id, payload: SeatIn, idempotency_key: IdempotencyKey = None):
    """Members: take a seat in a group (one per member); refused when it is full, closed or expired."""
    who = actor(request)
    group, order = services.join_group(actor=who, group_id=group_id, idempotency_key=idempotency_key, **payload.dict())
    return _seat(who, group, order)


# --- chain sign-ups ----------------------------------------------------------------------------


class ChainItemIn(Schema):
    sku_id: Id
    price: Money | None = Field(None, description="The chain price; none: the store's list price")
    max_per_person: int | None = Field(None, ge=1, le=999, strict=True)


class ChainIn(Schema):
    location_id: Id
    title: str = Field(min_length=1, max_length=120)
    notes: str = Field("", max_length=2000)
    cutoff_at: datetime
    items: list[ChainItemIn] = Field(min_length=1, max_length=chains.MAX_ITEMS)


class ChainItemOut(Schema):
    id: int
    sku_id: int
    sku_name: str
    price: Decimal
    max_per_person: int | None

    @staticmethod
    def resolve_sku_name(item) -> str:
        return item.sku.name


class EntryLineOut(Schema):
    item_id: int
    sku_name: str
    quantity: int


class NumberedEntryOut(Schema):
    number: int
    name: str
    state: str
    lines: list[EntryLineOut]


class ChainOut(Schema):
    id: int
    location_id: int
    location_name: str
    title: str
    notes: str
    cutoff_at: datetime
    state: str
    items: list[ChainItemOut]
    entries: list[NumberedEntryOut]

    @staticmethod
    def resolve_location_name(chain) -> str:
        return chain.location.name

    @staticmethod
    def resolve_items(chain) -> list:
        return list(chain.items.all())

    @staticmethod
    def resolve_entries(chain) -> list:
        return selectors.numbered_entries(chain.pk)


class EntryLineIn(Schema):
    item_id: Id
    quantity: Quantity = Field(le=999)


class EntryIn(Schema):
    lines: list[EntryLineIn] = Field(min_length=1, max_length=chains.MAX_ITEMS)


class EntryOut(Schema):
    id: int
    chain_id: int
    state: str
    reason: str
    order_id: int | None
    lines: list[EntryLineIn]

    @staticmethod
    def resolve_lines(entry) -> list:
        return [{"item_id": line.item_id, "quantity": line.quantity} for line in entry.lines.all()]


class ManagerEntryOut(EntryOut):
    number: int
    member_name: str


@chain_router.post("", response={201: ChainOut})
def publish_chain(request: HttpRequest, payload: ChainIn):
    """Store managers: publish a sign-up list for their store."""
    items = [chains.ItemIn(i.sku_id, i.price, i.max_per_person) for i in payload.items]
    chain = chains.publish_chain(
        actor=actor(request),
        location_id=payload.location_id,
        title=payload.title,
        notes=payload.notes,
        cutoff_at=payload.cutoff_at,
        items=items,
    )
    return Status(201, selectors.get_chain(chain.pk))


@chain_router.get("/{chain_id}", response=ChainOut, auth=PUBLIC)
def get_chain(request: HttpRequest, chain_id: Id):
    """The list as 接龙 shows it: items, then the entries numbered 1, 2, 3 with masked names."""
    return selectors.get_chain(chain_id)


@chain_router.post("/{chain_id}/entries", response=EntryOut)
def sign_up(request: HttpRequest, chain_id: Id, payload: EntryIn):
    """Members: add your entry, or change it, before the cut-off."""
    quantities: dict[int, int] = {}
    for line in payload.lines:
        if line.item_id in quantities:
            raise DomainError(ErrorCode.INVALID, "name each item once", item_id=line.item_id)
        quantities[line.item_id] = line.quantity
    return chains.sign_up(actor=actor(request), chain_id=chain_id, quantities=quantities)


@chain_router.post("/{chain_id}/entries/cancel", response=EntryOut)
def cancel_entry(request: HttpRequest, chain_id: Id):
    """Members: take your entry off the list before the cut-off."""
    return chains.cancel_entry(actor=actor(request), chain_id=chain_id)


@chain_router.get("/{chain_id}/entries", response=list[ManagerEntryOut])
def list_entries(request: HttpRequest, chain_id: Id):
    """Store managers: every entry with its state, the reason it was not served, and its order."""
    chain = chains.get_chain_for_manager(actor=actor(request), chain_id=chain_id)
    entries = selectors.chain_entries(chain.pk)
    for number, entry in enumerate(entries, start=1):
        entry.number = number
        entry.member_name = entry.member.name
    return entries


@chain_router.post("/{chain_id}/close", response=ChainOut)
def close_chain(request: HttpRequest, chain_id: Id):
    """Store managers: cut the list off now and place every entry's order (idempotent)."""
    chain = chains.close_chain(actor=actor(request), chain_id=chain_id)
    return selectors.get_chain(chain.pk)
