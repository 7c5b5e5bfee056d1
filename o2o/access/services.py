import hashlib
from datetime import timedelta

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from o2o.access.actors import Actor, actor_for_member, actor_for_user
from o2o.access.models import ApiToken
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.members.services import verify_sign_in_code

STAFF_TOKEN_TTL = timedelta(hours=12)
MEMBER_TOKEN_TTL = timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, user=None, member=None) -> str:
    token = new_token()
    ttl = STAFF_TOKEN_TTL if user is not None else MEMBER_TOKEN_TTL
    ApiToken.objects.create(key_hash=_digest(token), user=user, member=member, expires_at=timezone.now() + ttl)
    return token


@transaction.atomic
def sign_in_staff(*, username: str, password: str) -> str:
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "wrong username or password")
    return issue_token(user=user)


@transaction.atomic
def sign_in_member(*, phone: str, code: str) -> str:
    member = verify_sign_in_code(phone=phone, code=code)
    return issue_token(member=member)


def actor_for_token(token: str) -> Actor | None:
    row = (
        ApiToken.objects.select_related("user", "member")
        .filter(key_hash=_digest(token), expires_at__gt=timezone.now())
        .first()
    )
    if row is None:
        return None
    if row.member is not None:
        return actor_for_member(row.member)
    return actor_for_user(row.user) if row.user.is_active else None


def revoke_token(token: str) -> None:
    ApiToken.objects.filter(key_hash=_digest(token)).delete()
