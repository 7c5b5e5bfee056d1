"""Back office: members, read-only (joining, consent and erasure go through services).

A phone number is personal data: only roles holding `members.view_member_contact` (HQ, customer
service; see staff.admin_rights) see it whole or may search by it; everyone else sees it masked.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from o2o.core.backoffice import ReadOnlyAdmin
from o2o.core.errors import DomainError
from o2o.members.models import Member
from o2o.members.phones import mask_phone, normalize_phone

CONTACT_PERMISSION = "members.view_member_contact"


def sees_contact(request: HttpRequest) -> bool:
    return request.user.has_perm(CONTACT_PERMISSION)


def phone_in(search_term: str) -> str | None:
    """The E.164 phone a search term names (typed with or without +86, spaces or dashes), if any."""
    if not any(ch.isdigit() for ch in search_term):
        return None
    try:
        return normalize_phone(search_term.strip())
    except DomainError:
        return None


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_filter = ["registration_channel", "marketing_consent", "acquiring_location__region"]
    list_select_related = ["acquiring_location"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # members run into the millions

    @admin.display(description=_("phone (E.164)"))
    def masked_phone(self, member: Member) -> str:
        return mask_phone(member.phone)

    def get_list_display(self, request: HttpRequest) -> list[str]:
        phone = "phone" if sees_contact(request) else "masked_phone"
        return ["__str__", phone, "registration_channel", "acquiring_location", "marketing_consent", "created_at"]

    def get_exclude(self, request: HttpRequest, obj: Member | None = None) -> list[str]:
        return [] if sees_contact(request) else ["phone"]

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None) -> list[str]:
        return ["created_at"] if sees_contact(request) else ["masked_phone", "created_at"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone = phone_in(search_term) if sees_contact(request) else None
        if phone is not None:
            results |= queryset.filter(phone=phone)
        return results, may_have_duplicates
