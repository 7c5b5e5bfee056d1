"""The agents' desk (/service/, docs/service.md): the inbox with each ticket's SLA clock, the
agent's availability, and one ticket with its live conversation, the reply form and the actions.
Reads go through o2o.service.selectors, writes through o2o.service.services, as the API does;
a refusal is a 403/404 page, a rule broken (a bad transition, a blank reason) a form error."""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID, is_id
from o2o.knowledge.selectors import search as knowledge_search
from o2o.members.phones import mask_phone, normalize_phone
from o2o.members.selectors import member_by_phone
from o2o.orders.selectors import get_order_for
from o2o.service import assignment, complaints, feedback, selectors, services, sla
from o2o.service.complaints import WORKING_STATES
from o2o.service.feedback import FEEDBACK_KINDS
from o2o.service.models import RemedyKind, Ticket, TicketChannel, TicketKind, TicketPriority, TicketState
from o2o.staff.models import Role, Team
from o2o.staff.selectors import employee_by_code, employees_at
from o2o.stores.selectors import active_locations
from o2o.web.auth import refusal_or_message, refusals_as_http, staff_page

DESK_ROLES = (Role.CS_AGENT, Role.HQ)
PAGE_SIZE = 25
T = "web/service/desk/"
BODY_MAX = 4000


# -- shared by the desk, the store's escalation pages and the customer's help pages ------------


@dataclass(frozen=True)
class SlaBadge:
    """What a ticket's SLA cell shows: the status (colour) and the minutes left or over."""

    status: str  # met | on_track | due_soon | breached | paused
    minutes_left: int
    minutes_over: int


def sla_badge(ticket: Ticket, now: datetime) -> SlaBadge:
    status = sla.sla_status(ticket, now)
    due = ticket.first_response_due_at if ticket.first_response_at is None else ticket.resolution_due_at
    at = ticket.paused_at or now
    seconds = (due - at).total_seconds()
    if ticket.paused_at is not None and status != "breached":
        status = "paused"
    if ticket.state in (TicketState.RESOLVED, TicketState.CLOSED) and status != "breached":
        status = "met"
    return SlaBadge(
        status=status, minutes_left=max(math.ceil(seconds / 60), 0), minutes_over=max(math.floor(-seconds / 60), 0)
    )


def after_id(request: HttpRequest) -> int:
    """The last message the page shows (?after=<id>): 0 for none; junk is a 404, not a 500."""
    raw = request.GET.get("after", "0")
    if raw == "0":
        return 0
    return int(id_or_404(raw))


def id_or_404(raw: str | int) -> int:
    """An id from a URL or query string; anything else (`abc`, `-1`, `²`, too large) is a 404."""
    if not str(raw).isascii() or not is_id(raw):  # is_id alone takes "²" for a digit
        raise Http404
    return int(raw)


def conversation_context(ticket: Ticket, *, staff: bool, poll_url: str, after: int = 0) -> dict:
    """The messages after `after` (internal notes only for staff) and the poller for the next."""
    found = list(selectors.messages_of(ticket=ticket, staff=staff, after_id=after))
    last = found[-1].pk if found else after
    polling = ticket.state != TicketState.CLOSED
    return {"conversation": found, "last_id": last, "poll_url": poll_url if polling else ""}


def new_messages(request: HttpRequest, ticket: Ticket, *, staff: bool, poll_url: str) -> HttpResponse:
    """The polling partial: only the messages after ?after=, then the next poller; 204 (htmx
    swaps nothing) while there is nothing new."""
    context = conversation_context(ticket, staff=staff, poll_url=poll_url, after=after_id(request))
    if not context["conversation"]:
        return HttpResponse(status=204)
    return render(request, f"{T}_conversation.html", {**context, "show_author": staff})


def ticket_id_or_404(ticket_id: int) -> int:
    return id_or_404(ticket_id)


def customer_phone(ticket: Ticket) -> str:
    phone = ticket.member.phone if ticket.member_id else ticket.phone
    return mask_phone(phone) if phone else ""


# -- forms ---------------------------------------------------------------------------------------


class InboxFilters(forms.Form):
    VIEWS = (
        ("mine", gettext_lazy("My tickets")),
        ("unassigned", gettext_lazy("Unassigned")),
        ("team", gettext_lazy("My team")),
        ("all", gettext_lazy("All")),
    )
    DUES = (("breached", gettext_lazy("breached")), ("due_soon", gettext_lazy("due soon")))
    view = forms.ChoiceField(choices=VIEWS, required=False)
    due = forms.ChoiceField(choices=DUES, required=False)
    state = forms.ChoiceField(choices=TicketState.choices, required=False)
    kind = forms.ChoiceField(choices=TicketKind.choices, required=False)
    q = forms.CharField(max_length=100, required=False, strip=True)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Message"), max_length=BODY_MAX, strip=True)
    internal = forms.BooleanField(required=False)
    article = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class AssignForm(forms.Form):
    employee = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class EscalateForm(forms.Form):
    location = forms.IntegerField(label=gettext_lazy("Store"), min_value=1, max_value=MAX_ID)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, strip=True)


class ResolveForm(forms.Form):
    summary = forms.CharField(label=gettext_lazy("Solution"), max_length=BODY_MAX, strip=True)


def form_message(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
        for name, errors in form.errors.items()
    )


# -- the inbox -----------------------------------------------------------------------------------


@staff_page(*DESK_ROLES)
@refusals_as_http
def inbox(request: HttpRequest) -> HttpResponse:
    filters = InboxFilters(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    view = data.get("view") or ("all" if data.get("q") else "mine")  # a search looks everywhere
    tickets = selectors.inbox(
        actor=request.actor,
        mine=view == "mine",
        unassigned=view == "unassigned",
        team_id=_team_id(request) if view == "team" else None,
        sla_filter=data.get("due") or None,
        state=data.get("state") or None,
        kind=data.get("kind") or None,
        q=data.get("q") or "",
    )
    page = Paginator(tickets, PAGE_SIZE).get_page(data.get("page") or 1)
    now = timezone.now()
    context = {
        "rows": [{"ticket": ticket, "sla": sla_badge(ticket, now)} for ticket in page.object_list],
        "page": page,
        "filters": {**{k: data.get(k) or "" for k in ("due", "state", "kind", "q")}, "view": view},
        "filter_error": _("Some filters were not understood and are ignored.") if filters.errors else "",
        "query": _query_without_page(data, view),
        "views": InboxFilters.VIEWS,
        "dues": InboxFilters.DUES,
        "states": TicketState.choices,
        "kinds": TicketKind.choices,
        **_presence(request),
    }
    return render(request, f"{T}inbox.html", context)


def _query_without_page(data: dict, view: str) -> str:
    kept = {k: v for k, v in {**data, "view": view}.items() if v and k != "page"}
    return f"{urlencode(kept)}&" if kept else ""


def _team_id(request: HttpRequest) -> int | None:
    """The agent's team, or the online team (where new tickets go) for those on none."""
    employee = request.actor.employee
    return (employee.team_id if employee else None) or services.online_team_id()


def _presence(request: HttpRequest) -> dict:
    employee = request.actor.employee
    if employee is None or employee.role != Role.CS_AGENT:
        return {"presence_form": False}
    presence = selectors.presence_of(actor=request.actor)
    return {"presence_form": True, "available": presence is not None and presence.available}


@require_POST
@staff_page(Role.CS_AGENT)
@refusals_as_http
def presence(request: HttpRequest) -> HttpResponse:
    available = request.POST.get("available")
    if available not in ("yes", "no") or request.actor.employee is None:
        return HttpResponse(_("Say yes or no."), status=422, content_type="text/plain; charset=utf-8")
    assignment.set_availability(actor=request.actor, available=available == "yes")
    return redirect("web:service-desk")


# -- a ticket for a caller (phone, in store, a review, after-sale) --------------------------------


class CallerTicketForm(forms.Form):
    CHANNELS = [(value, label) for value, label in TicketChannel.choices if value in services.STAFF_CHANNELS]
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=CHANNELS, initial=TicketChannel.PHONE)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=TicketKind.choices)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL
    )
    phone = forms.CharField(label=gettext_lazy("Caller's phone"), min_length=5, max_length=20, strip=True)
    order = forms.CharField(label=gettext_lazy("Order number"), max_length=20, required=False, strip=True)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=services.MAX_SUBJECT, strip=True)
    body = forms.CharField(
        label=gettext_lazy("What the caller said"), max_length=BODY_MAX, strip=True, widget=forms.Textarea({"rows": 4})
    )
    key = forms.CharField(max_length=80, widget=forms.HiddenInput)

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except DomainError:
            raise forms.ValidationError(_("Not a valid phone number.")) from None


def _callers_order(request: HttpRequest, form: CallerTicketForm) -> int | None:
    """The order the call is about, by its number: one the agent may see and the caller's own
    (the member with that phone, or none for a caller who is not a member); else a form error."""
    number = form.cleaned_data["order"].upper()
    if not number:
        return None
    try:
        order = get_order_for(actor=request.actor, number=number)
    except DomainError as error:
        if error.code != ErrorCode.NOT_FOUND:
            raise
        form.add_error("order", _("No order has that number."))
        return None
    try:
        caller = member_by_phone(phone=form.cleaned_data["phone"]).pk
    except DomainError:
        caller = None
    if order.member_id != caller:
        form.add_error("order", _("That order is another customer's."))
        return None
    return order.pk


@staff_page(*DESK_ROLES)
@refusals_as_http
def new_ticket(request: HttpRequest) -> HttpResponse:
    """Open a ticket for a caller, through the service the API's POST /service/tickets calls. The
    form carries a key made when it is shown: a double submit opens one ticket."""
    form = CallerTicketForm(request.POST or None, initial={"key": secrets.token_urlsafe(16)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        order_id = _callers_order(request, form)
        if not form.errors:
            wanted = services.TicketRequest(
                channel=data["channel"], kind=data["kind"], priority=data["priority"], subject=data["subject"],
                body=data["body"], phone=data["phone"], order_id=order_id,
            )  # fmt: skip
            try:
                ticket = services.open_ticket(actor=request.actor, request=wanted, idempotency_key=data["key"])
            except DomainError as error:
                form.add_error(None, refusal_or_message(error))
            else:
                messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
                return redirect("web:service-ticket", ticket_id=ticket.pk)
    status = 422 if form.errors else 200
    return render(request, f"{T}new.html", {"form": form, "error": form_message(form)}, status=status)


# -- one ticket ----------------------------------------------------------------------------------


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return selectors.ticket_for(actor=request.actor, ticket_id=ticket_id_or_404(ticket_id))
    except DomainError as error:
        refusal_or_message(error)
        raise


def _page(request: HttpRequest, ticket: Ticket, *, error: str = "", status: int = 200, **forms_) -> HttpResponse:
    poll_url = reverse("web:service-ticket-messages", args=[ticket.pk])
    employee = request.actor.employee
    context = {
        "ticket": ticket,
        "sla": sla_badge(ticket, timezone.now()),
        "customer_phone": customer_phone(ticket),
        "error": error,
        "reply_form": forms_.get("reply_form") or ReplyForm(),
        "articles": [],
        "can_claim": employee is not None and ticket.state == TicketState.NEW,
        "can_close_at_once": ticket.kind in services.CLOSABLE_AT_ONCE
        and ticket.state in (TicketState.NEW, TicketState.OPEN),
        "agents": _agents(request, ticket),
        "stores": list(active_locations().order_by("code")),
        **conversation_context(ticket, staff=True, poll_url=poll_url),
        **complaint_context(request, ticket),
    }
    return render(request, f"{T}ticket.html", context, status=status)


def _agents(request: HttpRequest, ticket: Ticket) -> list:
    """Whom the ticket can be (re)assigned to, for those the table lets assign (HQ, a team's lead)."""
    if ticket.state not in (TicketState.NEW, TicketState.OPEN):
        return []
    if not may(request.actor, Operation.ASSIGN_TICKETS):
        return []
    agents = employees_at(location_ids=None).filter(role=Role.CS_AGENT, is_active=True)
    return list(agents.order_by("display_name")[:200])


@staff_page(*DESK_ROLES)
@refusals_as_http
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _page(request, _ticket(request, ticket_id))


@staff_page(*DESK_ROLES)
@refusals_as_http
def ticket_messages(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return new_messages(request, ticket, staff=True, poll_url=reverse("web:service-ticket-messages", args=[ticket.pk]))


def _act(request: HttpRequest, ticket_id: int, form_class, action, *, done: str, form_name: str = "") -> HttpResponse:
    """One POST action: the form, then one service call; a bad form or a broken rule re-renders
    the ticket with the error (422 for bad input, 409 for a move the ticket's state refuses)."""
    ticket = _ticket(request, ticket_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _page(request, ticket, error=form_message(form), status=422, **{form_name: form} if form_name else {})
    try:
        action(ticket, form.cleaned_data)
    except DomainError as error:
        message = refusal_or_message(error)
        status = 409 if error.code in (ErrorCode.CONFLICT, ErrorCode.ILLEGAL_TRANSITION) else 422
        fresh = _ticket(request, ticket.pk)
        return _page(request, fresh, error=message, status=status, **{form_name: form} if form_name else {})
    messages.success(request, done)
    return redirect("web:service-ticket", ticket_id=ticket.pk)


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def send(ticket: Ticket, data: dict) -> None:
        services.reply(
            actor=request.actor,
            ticket_id=ticket.pk,
            body=data["body"],
            internal=data["internal"],
            article_id=data["article"],
        )

    return _act(request, ticket_id, ReplyForm, send, done=_("Sent."), form_name="reply_form")


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def assign(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def to(ticket: Ticket, data: dict) -> None:
        if data["employee"] is None:  # "assign to me": an agent claims a new ticket
            assignment.claim(actor=request.actor, ticket_id=ticket.pk)
        else:
            assignment.assign(actor=request.actor, ticket_id=ticket.pk, employee_id=data["employee"])

    return _act(request, ticket_id, AssignForm, to, done=_("Assigned."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def wait(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def pause(ticket: Ticket, data: dict) -> None:
        services.wait_on_customer(actor=request.actor, ticket_id=ticket.pk)

    return _act(request, ticket_id, forms.Form, pause, done=_("Waiting on the customer: the SLA clock stands still."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def resume(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def go_on(ticket: Ticket, data: dict) -> None:
        services.resume(actor=request.actor, ticket_id=ticket.pk)

    return _act(request, ticket_id, forms.Form, go_on, done=_("Resumed: the SLA clock runs again."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def escalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def to_store(ticket: Ticket, data: dict) -> None:
        services.escalate(actor=request.actor, ticket_id=ticket.pk, location_id=data["location"], reason=data["reason"])

    return _act(request, ticket_id, EscalateForm, to_store, done=_("Escalated to the store."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def solved(ticket: Ticket, data: dict) -> None:
        services.resolve(actor=request.actor, ticket_id=ticket.pk, summary=data["summary"])

    return _act(request, ticket_id, ResolveForm, solved, done=_("Resolved: the customer is asked to confirm."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def no_action(ticket: Ticket, data: dict) -> None:
        services.close_without_action(actor=request.actor, ticket_id=ticket.pk)

    return _act(request, ticket_id, forms.Form, no_action, done=_("Closed."))


# -- the knowledge base, from the reply form ------------------------------------------------------


@staff_page(*DESK_ROLES)
@refusals_as_http
def articles(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The reply form's article search: radio choices of matching articles (an HTMX partial)."""
    _ticket(request, ticket_id)
    query = request.GET.get("q", "").strip()[:100]
    found = knowledge_search(actor=request.actor, query=query, limit=8) if query else []
    return render(request, f"{T}_articles.html", {"articles": found, "searched": bool(query)})


# -- complaints: the promise, a remedy, whom the feedback concerns (o2o.service.complaints/feedback)


class PromiseForm(forms.Form):
    solution = forms.CharField(label=gettext_lazy("Promised solution"), max_length=500, strip=True)
    promised_by = forms.DateTimeField(label=gettext_lazy("Promised by"))


class RemedyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Remedy"), choices=RemedyKind.choices)
    template = forms.IntegerField(label=gettext_lazy("Coupon template"), min_value=1, max_value=MAX_ID, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False, strip=True)
    key = forms.CharField(max_length=80)


class AttributeForm(forms.Form):
    employee_code = forms.CharField(label=gettext_lazy("Employee code"), max_length=32, required=False, strip=True)
    team = forms.IntegerField(label=gettext_lazy("Team"), min_value=1, max_value=MAX_ID, required=False)


def complaint_context(request: HttpRequest, ticket: Ticket) -> dict:
    return {
        "can_promise": ticket.state in WORKING_STATES,
        "can_attribute": ticket.kind in FEEDBACK_KINDS,
        "remedy_kinds": RemedyKind.choices,
        "remedy_key": secrets.token_urlsafe(16),  # a double submit carries out one remedy
        "teams": list(Team.objects.order_by("kind", "name")) if ticket.kind in FEEDBACK_KINDS else [],
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def promise(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def promised(ticket: Ticket, data: dict) -> None:
        complaints.promise_solution(
            actor=request.actor, ticket_id=ticket.pk, solution=data["solution"], promised_by=data["promised_by"]
        )

    return _act(request, ticket_id, PromiseForm, promised, done=_("Solution promised."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def remedy(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def carried_out(ticket: Ticket, data: dict) -> None:
        wanted = complaints.RemedyRequest(kind=data["kind"], template_id=data["template"], note=data["note"])
        complaints.carry_out_remedy(actor=request.actor, ticket_id=ticket.pk, request=wanted, key=data["key"])

    return _act(request, ticket_id, RemedyForm, carried_out, done=_("Remedy carried out."))


@require_POST
@staff_page(*DESK_ROLES)
@refusals_as_http
def attribute(request: HttpRequest, ticket_id: int) -> HttpResponse:
    def concerned(ticket: Ticket, data: dict) -> None:
        employee_id = None
        if data["employee_code"]:
            employee = employee_by_code(data["employee_code"])
            if employee is None:
                raise DomainError(ErrorCode.INVALID, _("No employee has that code."))
            employee_id = employee.pk
        feedback.attribute_feedback(
            actor=request.actor, ticket_id=ticket.pk, employee_id=employee_id, team_id=data["team"]
        )

    return _act(request, ticket_id, AttributeForm, concerned, done=_("Feedback attributed."))
