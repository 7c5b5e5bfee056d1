"""Who is looking at a page: staff through Django's session login, customers through a member session."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from o2o.access.actors import Actor, actor_for_member, actor_for_user
from o2o.core.errors import DomainError, ErrorCode
from o2o.members.models import Member
from o2o.members.sessions import MEMBER_SESSION_KEY, start_member_session
from o2o.staff.models import Role

View = Callable[..., HttpResponse]


def staff_page(*roles: Role) -> Callable[[View], View]:
    """A page for staff; with roles, only for those roles. Chain-wide staff (HQ, online operators, marketers,
    customer service) and superusers pass every role check; pages that need a store still ask for one."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            actor = actor_for_user(request.user)
            allowed = actor.is_staff and (not roles or actor.has_role(*roles) or actor.is_chain_wide)
            if not allowed:
                raise PermissionDenied
            request.actor = actor
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def raise_if_refusal(error: DomainError) -> None:
    """A refusal the API answers 403/404 is the same page error; any other rule is for the page to
    show (a form error or a message). Pages that catch DomainError call this first."""
    if error.code == ErrorCode.FORBIDDEN:
        raise PermissionDenied from error
    if error.code == ErrorCode.NOT_FOUND:
        raise Http404 from error


def refusal_or_message(error: DomainError) -> str:
    """The refusal as 403/404, or the rule's message for the page to show."""
    raise_if_refusal(error)
    return error.message


def refusals_as_http(view):
    """The services' refusals as HTTP: a role the table does not allow gets 403, a missing row 404
    (under `staff_page`: chain-wide staff pass it, the permission table decides)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            raise_if_refusal(error)
            raise

    return wrapper


def counter_location_id(actor: Actor) -> int:
    """The store whose counter this staff member works; chain-wide staff have none."""
    if actor.employee is None or actor.employee.home_location_id is None:
        raise PermissionDenied
    return actor.employee.home_location_id


def sign_in_member(request: HttpRequest, member: Member) -> None:
    start_member_session(request, member)  # the join page (members app) signs in the same way


def sign_out_member(request: HttpRequest) -> None:
    request.session.pop(MEMBER_SESSION_KEY, None)


def current_member(request: HttpRequest) -> Member | None:
    member_id = request.session.get(MEMBER_SESSION_KEY)
    # A deleted (anonymised) account's sessions elsewhere end with it.
    return Member.objects.filter(pk=member_id, anonymised_at__isnull=True).first() if member_id else None


def member_page(view: View) -> View:
    """A customer page: signed-in members only; others go to the sign-in page and come back."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = current_member(request)
        if member is None:
            return redirect(f"{reverse('web:member-signin')}?next={request.get_full_path()}")
        request.actor = actor_for_member(member)
        request.member = member
        return view(request, *args, **kwargs)

    return wrapper


def home_for(actor: Actor) -> str:
    """Where a staff member lands after signing in."""
    if actor.has_role(Role.CLERK):
        return "web:counter-home"
    if actor.has_role(Role.STORE_MANAGER, Role.WAREHOUSE_CLERK):
        return "web:manager-stock"
    if actor.has_role(Role.CS_AGENT):
        return "web:service-desk"
    if actor.has_role(Role.DRIVER):
        return "web:driver-today"
    return "web:hq-dashboard"
