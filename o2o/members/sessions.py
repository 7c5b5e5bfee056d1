"""The member a browser session is signed in as (pages; the API uses bearer tokens)."""

from django.http import HttpRequest

from o2o.members.models import Member

MEMBER_SESSION_KEY = "o2o_member_id"


def start_member_session(request: HttpRequest, member: Member) -> None:
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    request.session[MEMBER_SESSION_KEY] = member.pk
