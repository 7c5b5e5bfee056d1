import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.utils import timezone

from o2o.access import sql
from o2o.access.actors import Actor, actor_for_member, actor_for_user_with
from o2o.access.models import ApiToken
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ratelimits import reset, spend
from o2o.members.services import join_from_store, throttled, verify_sign_in_code

STAFF_TOKEN_TTL = timedelta(hours=12)
MEMBER_TOKEN_TTL = timedelta(days=30)
# Password tries: per username (reset by the right password) and per client address (settings of
# the same name override them; see docs/security.md).
PASSWORD_RATE_DEFAULTS = {
    "O2O_PASSWORD_MISSES_PER_USERNAME": "5/15minute",
    "O2O_PASSWORD_TRIES_PER_CLIENT": "20/15minute",
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, user=None, member=None) -> str:
    token = new_token()
    ttl = STAFF_TOKEN_TTL if user is not None else MEMBER_TOKEN_TTL
    ApiToken.objects.create(key_hash=_digest(token), user=user, member=member, expires_at=timezone.now() + ttl)
    return token


def _password_rate(name: str) -> str:
    return getattr(settings, name, PASSWORD_RATE_DEFAULTS[name])


def authenticate_staff(*, username: str, password: str, client: str = "") -> User:
    """The active user with this username and password; the API and the sign-in page both ask here.

    Each try spends from the username's and the client address's budgets first (committed, so
    an error cannot roll it back, and racing tries cannot overdraw it); with a budget spent, even
    the right password is refused for a while (429)."""
    budgets = [("O2O_PASSWORD_MISSES_PER_USERNAME", ("password", username.strip().lower()))]
    if client:
        budgets.append(("O2O_PASSWORD_TRIES_PER_CLIENT", ("password-client", client)))
    for setting, identifiers in budgets:
        if not spend(_password_rate(setting), *identifiers):
            raise throttled("too many sign-in attempts; try again later", _password_rate(setting), *identifiers)
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "wrong username or password")
    reset(_password_rate(budgets[0][0]), *budgets[0][1])  # the username's misses count from zero again
    return user


def sign_in_staff(*, username: str, password: str, client: str = "") -> str:
    return issue_token(user=authenticate_staff(username=username, password=password, client=client))


def sign_in_member(*, phone: str, code: str, client: str = "") -> str:
    member = verify_sign_in_code(phone=phone, code=code, client=client)
    return issue_token(member=member)


def join_and_sign_in(
    *,
    phone: str,
    code: str,
    store_code: str,
    employee_code: str | None = None,
    name: str = "",
    marketing_consent: bool = False,
    client: str = "",
) -> str:
    """Join from a store's QR with a proven phone; the answer is a member token, the same for a new
    and an existing member."""
    member = join_from_store(
        phone=phone,
        code=code,
        store_code=store_code,
        employee_code=employee_code,
        name=name,
        marketing_consent=marketing_consent,
        client=client,
    )
    return issue_token(member=member)


def actor_for_token(token: str) -> Actor | None:
    owner = sql.token_owner(key_hash=_digest(token), now=timezone.now())
    if owner is None:
        return None
    member = owner.member
    if member is not None:  # a deleted account's tokens are gone; refuse any that slipped through
        return actor_for_member(member) if member.anonymised_at is None else None
    return actor_for_user_with(owner.user, owner.employee) if owner.user.is_active else None


def revoke_token(token: str) -> None:
    ApiToken.objects.filter(key_hash=_digest(token)).delete()


def revoke_member_tokens(*, member_id: int) -> int:
    """Every API token of the member (deleting the account); returns how many there were."""
    deleted, _by_model = ApiToken.objects.filter(member_id=member_id).delete()
    return deleted
