"""Tickets customer service escalated to a store (/manager/escalations/, docs/service.md): the
store's manager and clerks (HQ with ?location=) see only their store's, read the conversation,
reply, resolve, or return the ticket to online service. Writes call o2o.service.services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.service import selectors, services
from o2o.service.models import Ticket, TicketState
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page
from o2o.web.manager.scope import StoreScope, store_scope
from o2o.web.service.desk import (
    BODY_MAX,
    ReplyForm,
    ResolveForm,
    conversation_context,
    customer_phone,
    form_message,
    new_messages,
    refusal_or_message,
    sla_badge,
    ticket_id_or_404,
)

STORE_ROLES = (Role.STORE_MANAGER, Role.CLERK)
T = "web/manager/escalations/"


class ReturnForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Why"), max_length=500, required=False, strip=True)


def _scope(request: HttpRequest) -> StoreScope:
    """Customer service works tickets on its own desk (and other chain-wide staff have no store
    queue): only the store's staff and HQ come here."""
    if request.actor.has_role(Role.CS_AGENT, Role.ONLINE_OPERATOR, Role.MARKETER):
        raise PermissionDenied
    return store_scope(request)


def _ticket(request: HttpRequest, scope: StoreScope, ticket_id: int) -> Ticket:
    """A ticket escalated to this store; any other (another store's, returned, missing) is a 404."""
    try:
        ticket = selectors.ticket_for(actor=request.actor, ticket_id=ticket_id_or_404(ticket_id))
    except DomainError as error:
        refusal_or_message(error)
        raise
    if ticket.escalated_to_id != scope.location.pk:
        raise Http404
    return ticket


def _context(request: HttpRequest, scope: StoreScope) -> dict:
    return {"scope": scope, "section": "escalations", "is_manager": request.actor.has_role(Role.STORE_MANAGER)}


@staff_page(*STORE_ROLES)
@refusals_as_http
def escalation_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    now = timezone.now()
    tickets = list(selectors.escalations(actor=request.actor).filter(escalated_to_id=scope.location.pk)[:200])
    for ticket in tickets:
        ticket.sla = sla_badge(ticket, now)
    return render(request, f"{T}list.html", {**_context(request, scope), "tickets": tickets})


@staff_page(*STORE_ROLES)
@refusals_as_http
def open_count(request: HttpRequest) -> HttpResponse:
    """The nav's badge (loaded by htmx on every store page): how many tickets are escalated to
    the store and still waiting for it, one COUNT on the (escalated_to, state) index; 204 for none."""
    scope = _scope(request)
    tickets = selectors.escalations(actor=request.actor, state=TicketState.ESCALATED)
    count = tickets.filter(escalated_to_id=scope.location.pk).count()
    if not count:
        return HttpResponse(status=204)
    return render(request, f"{T}_count.html", {"count": count})


def _poll_url(scope: StoreScope, ticket: Ticket) -> str:
    return f"{reverse('web:manager-escalation-messages', args=[ticket.pk])}{scope.suffix}"


def _page(
    request: HttpRequest, scope: StoreScope, ticket: Ticket, *, error: str = "", status: int = 200, body: str = ""
):
    context = {
        **_context(request, scope),
        "ticket": ticket,
        "sla": sla_badge(ticket, timezone.now()),
        "customer_phone": customer_phone(ticket),
        "error": error,
        "reply_body": body,
        **conversation_context(ticket, staff=True, poll_url=_poll_url(scope, ticket)),
    }
    return render(request, f"{T}ticket.html", context, status=status)


@staff_page(*STORE_ROLES)
@refusals_as_http
def escalation(request: HttpRequest, ticket_id: int) -> HttpResponse:
    scope = _scope(request)
    return _page(request, scope, _ticket(request, scope, ticket_id))


@staff_page(*STORE_ROLES)
@refusals_as_http
def escalation_messages(request: HttpRequest, ticket_id: int) -> HttpResponse:
    scope = _scope(request)
    ticket = _ticket(request, scope, ticket_id)
    return new_messages(request, ticket, staff=True, poll_url=_poll_url(scope, ticket))


def _act(request: HttpRequest, ticket_id: int, form_class, action, *, done: str, back_to_list: bool = False):
    scope = _scope(request)
    ticket = _ticket(request, scope, ticket_id)
    form = form_class(request.POST)
    body = request.POST.get("body", "")[:BODY_MAX]
    if not form.is_valid():
        return _page(request, scope, ticket, error=form_message(form), status=422, body=body)
    try:
        action(ticket, form.cleaned_data)
    except DomainError as error:
        message = refusal_or_message(error)
        status = 409 if error.code in (ErrorCode.CONFLICT, ErrorCode.ILLEGAL_TRANSITION) else 422
        return _page(request, scope, ticket, error=message, status=status, body=body)
    messages.success(request, done)
    if back_to_list:  # the ticket has left the store's hands
        return redirect(f"{reverse('web:manager-escalations')}{scope.suffix}")
    return redirect(f"{reverse('web:manager-escalation', args=[ticket.pk])}{scope.suffix}")


@require_POST
@staff_page(*STORE_ROLES)
@refusals_as_http
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def send(ticket: Ticket, data: dict) -> None:
        services.store_reply(actor=request.actor, ticket_id=ticket.pk, body=data["body"], internal=data["internal"])

    return _act(request, ticket_id, ReplyForm, send, done=_("Sent."))


@require_POST
@staff_page(*STORE_ROLES)
@refusals_as_http
def resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def solved(ticket: Ticket, data: dict) -> None:
        services.store_resolve(actor=request.actor, ticket_id=ticket.pk, summary=data["summary"])

    return _act(
        request,
        ticket_id,
        ResolveForm,
        solved,
        done=_("Resolved: the customer is asked to confirm."),
        back_to_list=True,
    )


@require_POST
@staff_page(*STORE_ROLES)
@refusals_as_http
def give_back(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def returned(ticket: Ticket, data: dict) -> None:
        services.return_to_online(actor=request.actor, ticket_id=ticket.pk, note=data["note"])

    return _act(request, ticket_id, ReturnForm, returned, done=_("Returned to online service."), back_to_list=True)
