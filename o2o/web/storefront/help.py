"""The customer's "contact us" (/shop/help/, docs/service.md): a new ticket from an order or a
product page (?order=<id> / ?sku=<id>: someone else's order is a 404), my tickets, one ticket with
its live conversation, a message, and confirming the solution (1-5) or reopening. Signed-in
members only; writes go through o2o.service.services with the member as the actor."""

import secrets

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.catalog.models import SKU
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID, is_id
from o2o.orders.models import Order
from o2o.service import selectors, services
from o2o.service.models import Ticket, TicketKind, TicketState
from o2o.web.auth import member_page
from o2o.web.service.desk import (
    BODY_MAX,
    conversation_context,
    id_or_404,
    new_messages,
    refusal_or_message,
    ticket_id_or_404,
)
from o2o.web.storefront.my_orders import order_or_404
from o2o.web.storefront.pages import render_shop
from o2o.web.storefront.views import _online_sku_or_404

T = "web/storefront/help/"
PAGE_SIZE = 20
# What a customer may open a ticket about (praise and suggestions are welcome too).
CUSTOMER_KINDS = [
    (TicketKind.INQUIRY, gettext_lazy("A question")),
    (TicketKind.COMPLAINT, gettext_lazy("A complaint")),
    (TicketKind.AFTER_SALE, gettext_lazy("After-sale (return, repair, missing item)")),
    (TicketKind.SUGGESTION, gettext_lazy("A suggestion")),
    (TicketKind.PRAISE, gettext_lazy("Praise")),
]
# The customer's words for where their ticket is.
CUSTOMER_STATES = {
    TicketState.NEW: gettext_lazy("received"),
    TicketState.OPEN: gettext_lazy("in progress"),
    TicketState.WAITING_ON_CUSTOMER: gettext_lazy("waiting for your answer"),
    TicketState.ESCALATED: gettext_lazy("with the store"),
    TicketState.RESOLVED: gettext_lazy("solved: please confirm"),
    TicketState.CLOSED: gettext_lazy("closed"),
}


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What is it about?"), choices=CUSTOMER_KINDS)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, strip=True)
    body = forms.CharField(
        label=gettext_lazy("Your message"), max_length=BODY_MAX, strip=True, widget=forms.Textarea(attrs={"rows": 5})
    )
    order = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput)
    sku = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput)
    key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)


class MessageForm(forms.Form):
    body = forms.CharField(max_length=BODY_MAX, strip=True)


class ConfirmForm(forms.Form):
    score = forms.TypedChoiceField(choices=[(n, n) for n in range(1, 6)], coerce=int)


class ReopenForm(forms.Form):
    body = forms.CharField(max_length=BODY_MAX, strip=True, required=False)


def _context_of(request: HttpRequest, raw_order: str | None, raw_sku: str | None) -> tuple[Order | None, SKU | None]:
    """The order (the member's own: anyone else's is a 404) and the product the ticket is about."""
    order = order_or_404(request, id_or_404(raw_order)) if raw_order else None
    sku = _online_sku_or_404(id_or_404(raw_sku)) if raw_sku else None
    return order, sku


@member_page
def new_ticket(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    order, sku = _context_of(request, source.get("order"), source.get("sku"))
    form = ContactForm(request.POST or None, initial={"subject": _default_subject(order, sku)})
    key = request.POST.get("key", "")[:80] or secrets.token_urlsafe(16)  # a double submit opens one ticket
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            wanted = services.TicketRequest(
                kind=data["kind"],
                subject=data["subject"],
                body=data["body"],
                order_id=order.pk if order else None,
                sku_id=sku.pk if sku else None,
            )
            ticket = services.open_ticket(actor=request.actor, request=wanted, idempotency_key=key)
        except DomainError as error:
            form.add_error(None, refusal_or_message(error))
        else:
            messages.success(request, _("Thank you: we have your message and answer soon."))
            return redirect("web:shop-help-ticket", ticket_id=ticket.pk)
    context = {"form": form, "order": order, "sku": sku, "key": key}
    return render_shop(request, f"{T}new.html", context, nav="help", status=422 if form.errors else 200)


def _default_subject(order: Order | None, sku: SKU | None) -> str:
    if order is not None:
        return _("About my order %(number)s") % {"number": order.number}
    if sku is not None:
        return _("About %(name)s") % {"name": sku.name}
    return ""


@member_page
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = selectors.my_tickets(actor=request.actor)
    before = request.GET.get("before", "")
    if before.isascii() and is_id(before):
        tickets = tickets.filter(pk__lt=int(before))
    found = list(tickets[: PAGE_SIZE + 1])
    page = found[:PAGE_SIZE]
    for ticket in page:
        ticket.customer_state = CUSTOMER_STATES[ticket.state]
    context = {"tickets": page, "next_before": page[-1].pk if len(found) > PAGE_SIZE else None}
    return render_shop(request, f"{T}list.html", context, nav="help")


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    """The member's own ticket; anyone else's answers like one that does not exist."""
    try:
        return selectors.ticket_for(actor=request.actor, ticket_id=ticket_id_or_404(ticket_id))
    except DomainError as error:
        refusal_or_message(error)
        raise


def _page(request: HttpRequest, ticket: Ticket, *, error: str = "", status: int = 200, body: str = "") -> HttpResponse:
    context = {
        "ticket": ticket,
        "customer_state": CUSTOMER_STATES[ticket.state],
        "error": error,
        "body": body,
        "scores": range(1, 6),
        **conversation_context(ticket, staff=False, poll_url=reverse("web:shop-help-messages", args=[ticket.pk])),
    }
    return render_shop(request, f"{T}ticket.html", context, nav="help", status=status)


@member_page
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _page(request, _ticket(request, ticket_id))


@member_page
def ticket_messages(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return new_messages(request, ticket, staff=False, poll_url=reverse("web:shop-help-messages", args=[ticket.pk]))


def _act(request: HttpRequest, ticket_id: int, form_class, action, *, done: str) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    form = form_class(request.POST)
    body = request.POST.get("body", "")[:BODY_MAX]
    if not form.is_valid():
        return _page(request, ticket, error=_("Check your message and try again."), status=422, body=body)
    try:
        action(ticket, form.cleaned_data)
    except DomainError as error:
        message = refusal_or_message(error)
        status = 409 if error.code in (ErrorCode.CONFLICT, ErrorCode.ILLEGAL_TRANSITION) else 422
        return _page(request, _ticket(request, ticket.pk), error=message, status=status, body=body)
    messages.success(request, done)
    return redirect("web:shop-help-ticket", ticket_id=ticket.pk)


def _member_action(form_class, call, *, done):
    """A POST view on the member's own ticket: the form, then `call(actor, ticket_id, data)`, the
    one service the API calls for it."""

    @require_POST
    @member_page
    def view(request: HttpRequest, ticket_id: int) -> HttpResponse:
        def act(ticket: Ticket, data: dict) -> None:
            call(request.actor, ticket.pk, data)

        return _act(request, ticket_id, form_class, act, done=done)

    return view


send = _member_action(
    MessageForm,
    lambda actor, ticket_id, data: services.post_customer_message(actor=actor, ticket_id=ticket_id, body=data["body"]),
    done=gettext_lazy("Sent."),
)
confirm = _member_action(
    ConfirmForm,
    lambda actor, ticket_id, data: services.confirm_resolution(
        actor=actor, ticket_id=ticket_id, satisfaction=data["score"]
    ),
    done=gettext_lazy("Thank you for your feedback."),
)
reopen = _member_action(
    ReopenForm,
    lambda actor, ticket_id, data: services.reopen(actor=actor, ticket_id=ticket_id, body=data["body"]),
    done=gettext_lazy("Reopened: we are on it again."),
)
