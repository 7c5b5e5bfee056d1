from django.db.models import QuerySet

from o2o.core.errors import not_found
from o2o.members.models import Member, MemberNote, MemberTag
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


def tags_of(*, member_id: int) -> QuerySet[MemberTag]:
    return MemberTag.objects.filter(member_id=member_id).select_related("rule").order_by("tag")


def notes_of(*, member_id: int) -> QuerySet[MemberNote]:
    """Newest first, with their authors."""
    return MemberNote.objects.filter(member_id=member_id).select_related("author").order_by("-at", "-pk")


def tags_and_notes_about(member: Member) -> dict:
    """For the member's own data export: the tags staff and rules put on them and the notes staff
    wrote about them (without the writers' names)."""
    tags = MemberTag.objects.filter(member=member).order_by("tag")
    notes = MemberNote.objects.filter(member=member).order_by("at", "pk")
    return {
        "tags": [{"tag": t.tag, "source": t.source, "added_at": t.added_at} for t in tags],
        "notes": [{"note": n.body, "written_at": n.at} for n in notes],
    }
