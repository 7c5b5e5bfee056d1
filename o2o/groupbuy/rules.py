"""The pricing rules and order claimers of group buys ("group:<id>") and chain sign-ups
("chain:<id>"), registered from GroupbuyConfig.ready. Both do no query unless the cart is bought
through one of their offers (the order path counts its statements)."""

from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.groupbuy.models import ChainEntry, ChainItem, ChainState, EntryState, Group, GroupMember, GroupState
from o2o.orders.models import Order
from o2o.pricing.claims import PlacedOrder, on_order_placed
from o2o.pricing.models import DiscountSource
from o2o.pricing.rules import NOTHING, OFFER_PRIORITY, CartContext, RuleResult, offer_id, special_prices


@dataclass(frozen=True)
class GroupPrice:
    code: str = "group"
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = OFFER_PRIORITY
    stacks: bool = False

    def evaluate(self, cart: CartContext) -> RuleResult:
        group_id = offer_id(cart.offer, "group")
        if group_id is None:
            return NOTHING
        group = Group.objects.select_related("offer__campaign").filter(pk=group_id).first()
        if group is None or cart.member is None:
            return NOTHING  # the claimer refuses the order
        offer = group.offer
        if offer.campaign is not None and offer.campaign.holds_out(cart.member.pk):
            return NOTHING
        label = _("Group buy: %(name)s") % {"name": offer.name}
        return special_prices(cart, {offer.sku_id: offer.group_price}, label, f"group:{group.pk}", offer.campaign_id)


@dataclass(frozen=True)
class ChainPrice:
    code: str = "chain"
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = OFFER_PRIORITY
    stacks: bool = False

    def evaluate(self, cart: CartContext) -> RuleResult:
        chain_id = offer_id(cart.offer, "chain")
        if chain_id is None:
            return NOTHING
        items = ChainItem.objects.filter(chain_id=chain_id).select_related("chain")
        prices = {item.sku_id: item.price for item in items}
        if not prices:
            return NOTHING
        title = next(iter(items)).chain.title
        return special_prices(cart, prices, _("Chain sign-up: %(title)s") % {"title": title}, f"chain:{chain_id}")


def _group_refusal(group: Group | None, now) -> DomainError:
    if group is None:
        return not_found("group")
    if group.state == GroupState.OPEN and group.expires_at > now and group.member_count >= group.size:
        return DomainError(ErrorCode.GROUP_FULL, "every seat of this group is taken", group_id=group.pk)
    return DomainError(ErrorCode.GROUP_CLOSED, "this group takes no more members", group_id=group.pk)


def _check_group_order(placed: PlacedOrder, group: Group, now) -> None:
    offer = group.offer
    if placed.member_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "members join group buys")
    if not (offer.is_active and offer.starts_at <= now < offer.ends_at):
        raise DomainError(ErrorCode.GROUP_CLOSED, "this group buy is not running", group_id=group.pk)
    if offer.campaign is not None and offer.campaign.holds_out(placed.member_id):
        raise DomainError(ErrorCode.GROUP_CLOSED, "this group buy is not offered to you", group_id=group.pk)
    lines = placed.priced.lines
    if len(lines) != 1 or lines[0].sku_id != offer.sku_id:
        raise DomainError(ErrorCode.INVALID, "a group-buy order is the offer's item only", group_id=group.pk)
    if lines[0].quantity > offer.per_member_limit:
        raise DomainError(
            ErrorCode.INVALID, f"at most {offer.per_member_limit} per member", limit=offer.per_member_limit
        )


@on_order_placed("group")
def take_group_seat(placed: PlacedOrder) -> None:
    """Take one seat by a conditional UPDATE of the group's count (refused when full, closed or
    expired) and hold the order until the group completes."""
    group_id = offer_id(placed.offer, "group")
    if group_id is None:
        return
    now = timezone.now()
    group = Group.objects.select_related("offer__campaign").filter(pk=group_id).first()
    if group is None:
        raise not_found("group")
    _check_group_order(placed, group, now)
    if GroupMember.objects.filter(group_id=group_id, member_id=placed.member_id, left_at__isnull=True).exists():
        raise DomainError(ErrorCode.ALREADY_IN_GROUP, "you are in this group already", group_id=group_id)
    taken = Group.objects.filter(
        pk=group_id, state=GroupState.OPEN, expires_at__gt=now, member_count__lt=F("size")
    ).update(member_count=F("member_count") + 1)
    if not taken:
        raise _group_refusal(Group.objects.filter(pk=group_id).first(), now)
    GroupMember.objects.create(group_id=group_id, member_id=placed.member_id, order_id=placed.order_id)
    # On hold until the group completes; only at one of the offer's pickup stores.
    if not Order.objects.filter(
        pk=placed.order_id, fulfilment="pickup", fulfilment_location__in=group.offer.locations.all()
    ).update(on_hold=True):
        raise DomainError(ErrorCode.LOCATION_UNAVAILABLE, "this group buy is picked up at its stores only")


@on_order_placed("chain")
def place_chain_entry(placed: PlacedOrder) -> None:
    """A chain order is placed by the cut-off for one entry of a closed list, with the entry's
    lines exactly (a member cannot buy at chain prices through another order)."""
    chain_id = offer_id(placed.offer, "chain")
    if chain_id is None:
        return
    entry = (
        ChainEntry.objects.filter(
            chain_id=chain_id, chain__state=ChainState.CLOSED, member_id=placed.member_id, state=EntryState.ACTIVE
        )
        .prefetch_related("lines__item")
        .first()
    )
    if entry is None:
        raise DomainError(ErrorCode.CHAIN_CLOSED, "no sign-up of yours waits to be placed", chain_id=chain_id)
    wanted = sorted((line.item.sku_id, line.quantity) for line in entry.lines.all())
    if sorted((line.sku_id, line.quantity) for line in placed.priced.lines) != wanted:
        raise DomainError(ErrorCode.INVALID, "a chain order has the entry's lines", chain_id=chain_id)
