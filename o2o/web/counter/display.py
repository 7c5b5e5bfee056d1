"""Small read-only shapes the counter templates show (no personal data beyond what the counter needs)."""

from dataclasses import dataclass

from o2o.members.models import Member
from o2o.members.phones import mask_phone


@dataclass(frozen=True)
class Customer:
    """A member as the counter sees them: the name and a masked phone."""

    id: int
    name: str
    phone: str

    @classmethod
    def of(cls, member: Member | None) -> "Customer | None":
        return None if member is None else cls(member.pk, member.name, mask_phone(member.phone))
