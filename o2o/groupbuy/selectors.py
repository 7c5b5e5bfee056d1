"""Reads of group buys and chain sign-ups for the API and pages. Public views carry counts and
masked names only, never who a member is."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from o2o.core.errors import not_found
from o2o.groupbuy.models import ChainEntry, ChainList, EntryState, Group, GroupBuyOffer, GroupMember, GroupState


def masked_name(name: str) -> str:
    """ "王芳" -> "王*": enough to recognise a friend on a share page, not to identify anyone."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else "*"


def running_offers() -> QuerySet[GroupBuyOffer]:
    now = timezone.now()
    return (
        GroupBuyOffer.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)
        .select_related("sku")
        .prefetch_related("locations")
        .order_by("-pk")
    )


def all_offers() -> QuerySet[GroupBuyOffer]:
    return GroupBuyOffer.objects.select_related("sku").prefetch_related("locations").order_by("-pk")


def get_offer(offer_id: int) -> GroupBuyOffer:
    offer = GroupBuyOffer.objects.select_related("sku").prefetch_related("locations").filter(pk=offer_id).first()
    if offer is None:
        raise not_found("group buy")
    return offer


def joinable_groups(offer_id: int) -> list[Group]:
    groups = Group.objects.filter(
        offer_id=offer_id, state=GroupState.OPEN, expires_at__gt=timezone.now(), member_count__gt=0
    ).select_related("leader")
    return list(groups.order_by("expires_at")[:50])


def get_group(group_id: int) -> Group:
    group = Group.objects.select_related("leader", "offer__sku").filter(pk=group_id).first()
    if group is None:
        raise not_found("group")
    return group


def groups_of_member(member_id: int) -> list[GroupMember]:
    seats = GroupMember.objects.filter(member_id=member_id).select_related("group__offer__sku", "order")
    return list(seats.order_by("-pk")[:100])


def group_counts(offer_id: int) -> dict[str, int]:
    counts = dict.fromkeys(GroupState.values, 0)
    for state in Group.objects.filter(offer_id=offer_id).values_list("state", flat=True):
        counts[state] += 1
    return counts


def get_chain(chain_id: int) -> ChainList:
    chain = ChainList.objects.select_related("location").prefetch_related("items__sku").filter(pk=chain_id).first()
    if chain is None:
        raise not_found("chain sign-up")
    return chain


def chain_entries(chain_id: int) -> list[ChainEntry]:
    """The entries in sign-up order (cancelled ones left out), with their lines and members."""
    entries = (
        ChainEntry.objects.filter(chain_id=chain_id)
        .exclude(state=EntryState.CANCELLED)
        .select_related("member", "order")
        .prefetch_related(Prefetch("lines", to_attr="line_list"), "lines__item__sku")
        .order_by("created_at", "pk")
    )
    return list(entries)


def numbered_entries(chain_id: int) -> list[dict]:
    """As 接龙 shows them: 1, 2, 3... with a masked name and what each signed up for."""
    return [
        {
            "number": number,
            "name": masked_name(entry.member.name),
            "state": entry.state,
            "lines": [
                {"item_id": line.item_id, "sku_name": line.item.sku.name, "quantity": line.quantity}
                for line in entry.lines.all()
            ],  # fmt: skip
        }
        for number, entry in enumerate(chain_entries(chain_id), start=1)
    ]


def chains_of_location(location_ids) -> QuerySet[ChainList]:
    chains = ChainList.objects.select_related("location").order_by("-pk")
    return chains if location_ids is None else chains.filter(location_id__in=location_ids)


def entry_of(chain_id: int, member_id: int) -> ChainEntry | None:
    return ChainEntry.objects.filter(chain_id=chain_id, member_id=member_id).prefetch_related("lines").first()
