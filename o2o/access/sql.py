"""The token statement on every signed-in API request's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from o2o.core.sql import columns_of, fetch_joined, moment
from o2o.members.models import Member

User = get_user_model()
_USERS = User._meta.db_table

# A token has exactly one owner (the `apitoken_one_owner` check), so one of the two joins finds nothing.
_TOKEN_OWNER = f"""
SELECT {columns_of(User, _USERS)}, {columns_of(Member, "members_member")}
FROM access_apitoken
LEFT JOIN {_USERS} ON {_USERS}.id = access_apitoken.user_id
LEFT JOIN members_member ON members_member.id = access_apitoken.member_id
WHERE access_apitoken.key_hash = %s AND access_apitoken.expires_at > %s
"""


def token_owner(*, key_hash: str, now: datetime) -> tuple[AbstractBaseUser | None, Member | None] | None:
    """Who holds the token with this hash, if it has not expired by `now`: (the staff user, None)
    or (None, the member); None for no such token. One statement, as
    `ApiToken.objects.select_related("user", "member")` would read the owner."""
    for user, member in fetch_joined([User, Member], _TOKEN_OWNER, [key_hash, moment(now)]):
        return user, member
    return None
