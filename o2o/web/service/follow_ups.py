"""Follow-up visits (回访) on the desk (/service/follow-ups/, docs/service_pages.md): the queue of
due visits and one visit with its context, claim / release and the call with its survey.
Reads go through o2o.aftercare.selectors, writes through o2o.aftercare.services with the
signed-in actor, exactly as the API (o2o/api/followups.py) does: customer service and HQ see
every visit, a store's manager their own store's (another store's visit is 404). A refusal the
API answers 403/404 is that page; another agent's claim or a finished visit is a message on the
page and nothing is written."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.aftercare import selectors, services
from o2o.aftercare.models import FollowUpChannel, FollowUpVisit, VisitState
from o2o.core.errors import DomainError, ErrorCode
from o2o.members.phones import mask_phone
from o2o.staff.models import Role
from o2o.web.auth import refusal_or_message, refusals_as_http, staff_page
from o2o.web.service.desk import DESK_ROLES, form_message, id_or_404

# Customer service and HQ work every visit, a store manager their store's (the selector scopes it).
FOLLOW_UP_ROLES = (Role.CS_AGENT, Role.HQ, Role.STORE_MANAGER, Role.CLERK)
PAGE_SIZE = 25
T = "web/service/follow_ups/"
# Someone else's claim, a finished visit, a visit changed meanwhile: the page says so (409).
REFUSED_MOVES = (ErrorCode.FOLLOW_UP_CLAIMED, ErrorCode.ILLEGAL_TRANSITION, ErrorCode.CONFLICT)


# -- forms ---------------------------------------------------------------------------------------


class QueueFilters(forms.Form):
    channel = forms.ChoiceField(choices=FollowUpChannel.choices, required=False)
    mine = forms.BooleanField(required=False)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)


class Outcome:
    ANSWERED = "answered"  # reached, the customer gave a score
    DECLINED = "declined"  # reached, no survey (refused it, or nothing to say)
    NO_ANSWER = "no_answer"  # not reached: tried again tomorrow

    CHOICES = (
        (ANSWERED, gettext_lazy("Answered the survey")),
        (DECLINED, gettext_lazy("Reached, declined the survey")),
        (NO_ANSWER, gettext_lazy("No answer")),
    )


class CallForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.CHOICES)
    score = forms.IntegerField(label=gettext_lazy("Score"), min_value=1, max_value=5, required=False)
    comment = forms.CharField(
        label=gettext_lazy("Customer's comment"), max_length=services.MAX_COMMENT, required=False, strip=True
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=services.MAX_NOTE, required=False, strip=True)

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == Outcome.ANSWERED and data.get("score") is None:
            self.add_error("score", _("Give the customer's score (1 to 5)."))
        if outcome in (Outcome.DECLINED, Outcome.NO_ANSWER) and (data.get("score") is not None or data.get("comment")):
            self.add_error("outcome", _("A score and a comment are recorded only when the customer answered."))
        return data

    def call(self) -> services.CallRecord:
        data = self.cleaned_data
        if data["outcome"] == Outcome.NO_ANSWER:
            return services.CallRecord(reached=False, note=data["note"])
        return services.CallRecord(reached=True, score=data["score"], comment=data["comment"], note=data["note"])


# -- the queue -----------------------------------------------------------------------------------


@staff_page(*FOLLOW_UP_ROLES)
@refusals_as_http
def queue(request: HttpRequest) -> HttpResponse:
    """Open visits due today or earlier that the actor may work, oldest due first, 25 a page."""
    services.authorize_queue(actor=request.actor)
    filters = QueueFilters(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    visits = selectors.visit_queue(
        actor=request.actor, channel=data.get("channel") or None, mine=bool(data.get("mine"))
    )
    page = Paginator(visits, PAGE_SIZE).get_page(data.get("page") or 1)
    kept = {k: v for k, v in {"channel": data.get("channel"), "mine": "1" if data.get("mine") else ""}.items() if v}
    context = {
        "rows": [{"visit": visit, "phone": mask_phone(visit.member.phone)} for visit in page.object_list],
        "page": page,
        "filters": {"channel": data.get("channel") or "", "mine": bool(data.get("mine"))},
        "filter_error": _("Some filters were not understood and are ignored.") if filters.errors else "",
        "query": f"{urlencode(kept)}&" if kept else "",
        "channels": FollowUpChannel.choices,
    }
    return render(request, f"{T}queue.html", context)


# -- one visit -----------------------------------------------------------------------------------


def _visit(request: HttpRequest, visit_id: int) -> FollowUpVisit:
    """The visit in the actor's scope (services.visit_for: a missing or another store's is 404)."""
    return services.visit_for(actor=request.actor, visit_id=id_or_404(visit_id))


def _page(request: HttpRequest, visit: FollowUpVisit, *, error: str = "", status: int = 200, form=None) -> HttpResponse:
    employee = request.actor.employee
    mine = employee is not None and visit.assigned_to_id == employee.pk
    is_open = visit.state == VisitState.OPEN
    # The full number only to the one who claimed the visit to ring the customer (the API shows
    # it to everyone who may work the visit); a deleted member's number is never shown.
    phone = visit.member.phone if mine and visit.member.anonymised_at is None else mask_phone(visit.member.phone)
    context = {
        "visit": visit,
        "phone": phone,
        "lines": list(visit.order.lines.select_related("sku").order_by("pk")) if visit.order_id else [],
        "survey": getattr(visit, "survey", None),
        "mine": mine,
        "can_claim": is_open and employee is not None and not mine,
        "can_call": is_open and mine,
        "desk_link": request.actor.has_role(*DESK_ROLES) or request.actor.is_chain_wide,  # may open the ticket
        "form": form or CallForm(),
        "outcomes": Outcome.CHOICES,
        "error": error,
    }
    return render(request, f"{T}visit.html", context, status=status)


@staff_page(*FOLLOW_UP_ROLES)
@refusals_as_http
def visit_page(request: HttpRequest, visit_id: int) -> HttpResponse:
    return _page(request, _visit(request, visit_id))


def _act(request: HttpRequest, visit_id: int, action, *, done: str, form=None) -> HttpResponse:
    """One POST: the form (if any), then one service call, then back to the visit (POST-redirect-
    GET). Bad input re-renders the visit with the errors (422); another agent's claim or a visit
    finished meanwhile is a message on the page (409); nothing is written either way."""
    visit = _visit(request, visit_id)
    if form is not None and not form.is_valid():
        return _page(request, visit, error=form_message(form), status=422, form=form)
    try:
        action(visit)
    except DomainError as error:
        message = refusal_or_message(error)
        status = 409 if error.code in REFUSED_MOVES else 422
        return _page(request, _visit(request, visit.pk), error=message, status=status, form=form)
    messages.success(request, done)
    return redirect("web:service-follow-up", visit_id=visit.pk)


@require_POST
@staff_page(*FOLLOW_UP_ROLES)
@refusals_as_http
def claim(request: HttpRequest, visit_id: int) -> HttpResponse:
    def take(visit: FollowUpVisit) -> None:
        services.claim_visit(actor=request.actor, visit_id=visit.pk)

    return _act(request, visit_id, take, done=_("The visit is yours: call the customer."))


@require_POST
@staff_page(*FOLLOW_UP_ROLES)
@refusals_as_http
def release(request: HttpRequest, visit_id: int) -> HttpResponse:
    def give_back(visit: FollowUpVisit) -> None:
        services.release_visit(actor=request.actor, visit_id=visit.pk)

    return _act(request, visit_id, give_back, done=_("Released: the visit is back in the queue."))


@require_POST
@staff_page(*FOLLOW_UP_ROLES)
@refusals_as_http
def call(request: HttpRequest, visit_id: int) -> HttpResponse:
    form = CallForm(request.POST)

    def record(visit: FollowUpVisit) -> None:
        services.record_call(actor=request.actor, visit_id=visit.pk, call=form.call())

    return _act(request, visit_id, record, done=_("Call recorded."), form=form)
