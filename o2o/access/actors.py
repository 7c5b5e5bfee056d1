"""Who is asking: a staff member (with the locations they may see) or a customer."""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser

from o2o.core.errors import DomainError, ErrorCode
from o2o.members.models import Member
from o2o.staff.models import Employee, Role
from o2o.staff.selectors import employee_for_user, location_scope


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None = None
    employee: Employee | None = None
    member: Member | None = None
    # None: every location (HQ, superusers); a set: only these.
    location_ids: frozenset[int] | None = field(default=frozenset())
    # The platform itself (set-up scripts, the demo generator, tests arranging stock): no person
    # stands behind it, so it never comes from a request; the permission table lets it do anything.
    system: bool = False

    @property
    def is_staff(self) -> bool:
        return self.system or self.employee is not None or bool(self.user and self.user.is_superuser)

    @property
    def is_chain_wide(self) -> bool:
        return self.is_staff and self.location_ids is None

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def idempotency_scope(self) -> str:
        """Whose idempotency keys these are: a member's, or a staff user's."""
        return f"member:{self.member.pk}" if self.member is not None else f"user:{self.user_id}"

    def can_see_location(self, location_id: int) -> bool:
        return self.is_staff and (self.location_ids is None or location_id in self.location_ids)

    def has_role(self, *roles: Role) -> bool:
        return self.employee is not None and self.employee.role in roles

    def require_staff(self) -> None:
        if not self.is_staff:
            raise DomainError(ErrorCode.FORBIDDEN, "staff only")

    def require_member(self) -> Member:
        if self.member is None:
            raise DomainError(ErrorCode.FORBIDDEN, "members only")
        return self.member


def actor_for_user(user: AbstractBaseUser) -> Actor:
    return actor_for_user_with(user, employee_for_user(user.pk))


def actor_for_user_with(user: AbstractBaseUser, employee: Employee | None) -> Actor:
    """`actor_for_user` with the user's active employee record read already (None: they have none)."""
    if employee is not None:
        return Actor(user=user, employee=employee, location_ids=location_scope(employee))
    if user.is_superuser:
        return Actor(user=user, location_ids=None)
    return Actor(user=user)


def actor_for_member(member: Member) -> Actor:
    return Actor(member=member)


SYSTEM = Actor(location_ids=None, system=True)
