from django.db.models import QuerySet

from o2o.core.errors import not_found
from o2o.members.models import Member
from o2o.members.phones import normalize_phone


def member_by_phone(*, phone: str) -> Member:
    member = Member.objects.filter(phone=normalize_phone(phone)).first()
    if member is None:
        raise not_found("member")
    return member


def members_acquired(*, location_ids: frozenset[int] | None) -> QuerySet[Member]:
    members = Member.objects.order_by("pk")
    return members if location_ids is None else members.filter(acquiring_location_id__in=location_ids)


def member_by_id(*, member_id: int) -> Member | None:
    """The member a counter session holds on to (None when the row is gone)."""
    return Member.objects.filter(pk=member_id).first()
