"""Chain sign-ups (接龙): a store manager's list, customers' entries, orders placed at the cut-off.

Closing is two steps, each safe to repeat: the list's state goes open -> closed by one conditional
UPDATE (sign-ups lock the list row, so none slips in after it), then every entry still waiting is
placed as its own order (`orders.place_order`, its own transaction) under the Idempotency-Key
"chain-entry-<id>": closing twice, or two closers racing, place each entry once. An entry whose
order is refused (stock short at the store...) is marked unserved with the reason; the others are
still placed. The orders then follow the normal path: pay online before the payment deadline (a
pickup voucher is issued on payment) or at the store's counter.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor, actor_for_member
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel
from o2o.catalog.selectors import sellable_skus_with_prices
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.messaging import queue_message
from o2o.groupbuy.models import ChainEntry, ChainEntryLine, ChainItem, ChainList, ChainState, EntryState
from o2o.orders import services as orders
from o2o.orders.models import Fulfilment
from o2o.stores.models import Location

MAX_ITEMS = 50
CHAIN_CHANNEL = Channel.APP


@dataclass(frozen=True)
class ItemIn:
    sku_id: int
    price: Decimal | None = None  # None: the list price at the store
    max_per_person: int | None = None


@transaction.atomic(durable=True)
def publish_chain(
    *, actor: Actor, location_id: int, title: str, cutoff_at: datetime, items: list[ItemIn], notes: str = ""
) -> ChainList:
    """A store manager publishes a list for their store: items at the list price or a lower chain
    price, a cut-off in the future, pickup at the store."""
    authorize(actor, Operation.MANAGE_CHAIN_LISTS, location_id=location_id)
    location = Location.objects.filter(pk=location_id, kind=Location.Kind.STORE, pickup_enabled=True).first()
    if location is None:
        raise DomainError(ErrorCode.LOCATION_UNAVAILABLE, "chain sign-ups are picked up at a store")
    skus = {item.sku_id for item in items}
    if not title.strip() or not items or len(items) > MAX_ITEMS or len(skus) != len(items):
        raise DomainError(ErrorCode.INVALID, f"a list has a title and 1 to {MAX_ITEMS} different items")
    if cutoff_at <= timezone.now():
        raise DomainError(ErrorCode.INVALID, "the cut-off is in the future")
    _skus, list_prices = sellable_skus_with_prices(sku_ids=skus, channel=CHAIN_CHANNEL, location_id=location_id)
    chain = ChainList.objects.create(
        location=location, title=title.strip(), notes=notes.strip(), cutoff_at=cutoff_at, created_by=actor.user
    )
    rows = []
    for item in items:
        price = item.price if item.price is not None else list_prices[item.sku_id]
        if price <= 0 or price > list_prices[item.sku_id]:
            raise DomainError(
                ErrorCode.INVALID, "a chain price is above 0 and at most the list price", sku_id=item.sku_id
            )
        rows.append(ChainItem(chain=chain, sku_id=item.sku_id, price=price, max_per_person=item.max_per_person))
    ChainItem.objects.bulk_create(rows)
    return chain


def _open_for_sign_up(chain_id: int) -> ChainList:
    """The list row, locked (closing waits for this sign-up, or this sign-up sees it closed)."""
    chain = ChainList.objects.select_for_update().filter(pk=chain_id).first()
    if chain is None:
        raise not_found("chain sign-up")
    if chain.state != ChainState.OPEN or chain.cutoff_at <= timezone.now():
        raise DomainError(ErrorCode.CHAIN_CLOSED, "this list is past its cut-off", chain_id=chain_id)
    return chain


def _member(actor: Actor):
    authorize(actor, Operation.SIGN_UP_TO_CHAIN)
    if actor.member is None:
        raise DomainError(ErrorCode.FORBIDDEN, "members sign up")
    return actor.member


@transaction.atomic(durable=True)
def sign_up(*, actor: Actor, chain_id: int, quantities: dict[int, int]) -> ChainEntry:
    """Add the member's entry, or change it (one per member), before the cut-off. `quantities`
    maps item ids to units (the items left out are not wanted)."""
    member = _member(actor)
    chain = _open_for_sign_up(chain_id)
    items = {item.pk: item for item in ChainItem.objects.filter(chain=chain)}
    if not quantities or any(item_id not in items for item_id in quantities):
        raise DomainError(ErrorCode.INVALID, "choose items of this list")
    for item_id, quantity in quantities.items():
        most = items[item_id].max_per_person or 999
        if not 1 <= quantity <= most:
            raise DomainError(ErrorCode.INVALID, f"1 to {most} of this item", item_id=item_id, most=most)
    entry, _created = ChainEntry.objects.get_or_create(chain=chain, member=member)
    ChainEntry.objects.filter(pk=entry.pk).update(state=EntryState.ACTIVE, reason="", updated_at=timezone.now())
    ChainEntryLine.objects.filter(entry=entry).delete()
    ChainEntryLine.objects.bulk_create(
        ChainEntryLine(entry=entry, item_id=item_id, quantity=quantity) for item_id, quantity in quantities.items()
    )
    entry.refresh_from_db()
    return entry


@transaction.atomic(durable=True)
def cancel_entry(*, actor: Actor, chain_id: int) -> ChainEntry:
    member = _member(actor)
    chain = _open_for_sign_up(chain_id)
    entry = ChainEntry.objects.filter(chain=chain, member=member, state=EntryState.ACTIVE).first()
    if entry is None:
        raise not_found("sign-up")
    ChainEntry.objects.filter(pk=entry.pk).update(state=EntryState.CANCELLED, updated_at=timezone.now())
    entry.refresh_from_db()
    return entry


def get_chain_for_manager(*, actor: Actor, chain_id: int) -> ChainList:
    chain = ChainList.objects.filter(pk=chain_id).first()
    if chain is None or not (actor.system or actor.can_see_location(chain.location_id)):
        raise not_found("chain sign-up")
    authorize(actor, Operation.MANAGE_CHAIN_LISTS, location_id=chain.location_id)
    return chain


def close_chain(*, actor: Actor, chain_id: int) -> ChainList:
    """The manager's "close now": cut the list off and place its entries' orders. Closing a closed
    list again only places what is still waiting (nothing, normally)."""
    chain = get_chain_for_manager(actor=actor, chain_id=chain_id)
    ChainList.objects.filter(pk=chain.pk, state=ChainState.OPEN).update(
        state=ChainState.CLOSED, closed_at=timezone.now()
    )
    place_entries(chain_id=chain.pk)
    chain.refresh_from_db()
    return chain


def close_due_chains(*, now: datetime | None = None, batch: int = 100) -> int:
    """The periodic job: lists past their cut-off close; every closed list's waiting entries are placed."""
    now = now or timezone.now()
    ChainList.objects.filter(state=ChainState.OPEN, cutoff_at__lte=now).update(state=ChainState.CLOSED, closed_at=now)
    waiting = ChainEntry.objects.filter(chain__state=ChainState.CLOSED, state=EntryState.ACTIVE)
    return sum(place_entries(chain_id=c) for c in sorted(set(waiting.values_list("chain_id", flat=True)[:batch])))


def place_entries(*, chain_id: int) -> int:
    chain = ChainList.objects.get(pk=chain_id)
    placed = 0
    waiting = ChainEntry.objects.filter(chain=chain, state=EntryState.ACTIVE).select_related("member")
    for entry in list(waiting.prefetch_related("lines__item").order_by("pk")):
        placed += _place_entry(chain, entry)
    return placed


def _place_entry(chain: ChainList, entry: ChainEntry) -> int:
    request = orders.OrderRequest(
        channel=CHAIN_CHANNEL,
        fulfilment=Fulfilment.PICKUP,
        fulfilment_location_id=chain.location_id,
        lines=[orders.LineRequest(line.item.sku_id, line.quantity) for line in entry.lines.all()],
        offer=f"chain:{chain.pk}",
    )
    try:
        order = orders.place_order(
            actor=actor_for_member(entry.member),
            member=entry.member,
            request=request,
            idempotency_key=f"chain-entry-{entry.pk}",
        )
    except DomainError as refused:
        ChainEntry.objects.filter(pk=entry.pk, state=EntryState.ACTIVE).update(
            state=EntryState.UNSERVED, reason=refused.message[:200], updated_at=timezone.now()
        )
        return 0
    if not ChainEntry.objects.filter(pk=entry.pk, state=EntryState.ACTIVE).update(
        state=EntryState.PLACED, order=order, updated_at=timezone.now()
    ):
        return 0
    if entry.member.phone:
        _tell(entry, chain, order)
    return 1


def _tell(entry: ChainEntry, chain: ChainList, order) -> None:
    queue_message(
        channel="sms",
        recipient=entry.member.phone,
        body=_("Your order %(number)s from %(title)s is placed: %(total)s yuan, pay before %(deadline)s.")
        % {
            "number": order.number,
            "title": chain.title,
            "total": order.total,
            "deadline": timezone.localtime(order.payment_deadline).strftime("%H:%M"),
        },
    )
