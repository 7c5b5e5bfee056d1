"""Staff acting on members: signing a customer up at the counter and looking a member up.

The `members` app sits below `access` (a member is part of who an Actor is), so it cannot ask
the permission table itself; these entry points ask it and then call the members services and
selectors. The API and the counter pages both come through here.
"""

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode
from o2o.members import selectors
from o2o.members import services as members
from o2o.members.models import Member


def register_member_at_counter(
    *, actor: Actor, phone: str, name: str = "", marketing_consent: bool = False
) -> tuple[Member, bool]:
    """Credited to the clerk and their store; an existing member keeps who first acquired them."""
    home = actor.employee.home_location_id if actor.employee else None
    authorize(actor, Operation.REGISTER_MEMBER_AT_COUNTER, location_id=home)
    if actor.employee is None or home is None:
        raise DomainError(ErrorCode.FORBIDDEN, "members are signed up at a store's counter by its staff")
    return members.register_member(
        phone=phone,
        name=name,
        marketing_consent=marketing_consent,
        channel=Member.RegistrationChannel.POS,
        location_id=home,
        employee_code=actor.employee.code,
    )


def look_up_member(*, actor: Actor, phone: str) -> Member:
    """A member by phone: personal data, for the roles the table names (chain-wide: a member
    shops at every store)."""
    authorize(actor, Operation.LOOK_UP_MEMBER)
    return selectors.member_by_phone(phone=phone)
