"""My customers on the phone (/me/customers/): my leads and the members I signed up or served, a
customer's card with notes, tags and follow-ups, and my follow-ups due. Writes call
o2o.leads.services, as the API does; a member without a lead row gets one on the first write."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.leads import selectors, services
from o2o.leads.models import FollowUpKind
from o2o.web.auth import staff_page


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note"), max_length=services.MAX_NOTE_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class TagsForm(forms.Form):
    tags = forms.CharField(label=gettext_lazy("Tags (comma separated)"), required=False, max_length=700)

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace("，", ",")
        try:
            return services.clean_tags(raw.split(","))
        except DomainError as error:
            raise forms.ValidationError(_("At most 20 tags of up to 30 characters.")) from error


class FollowUpForm(forms.Form):
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=FollowUpKind.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label=gettext_lazy("Outcome"), required=False, max_length=500)


class LeadForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=services.MAX_NOTE_LENGTH)


ACTIONS = {"note": NoteForm, "tags": TagsForm, "follow_up": FollowUpForm}


def _employee(request: HttpRequest):
    try:
        return services.lead_owner(request.actor)
    except DomainError as error:
        raise PermissionDenied from error


@staff_page()
def customer_list(request: HttpRequest) -> HttpResponse:
    employee = _employee(request)
    tag = request.GET.get("tag", "").strip()[:30] or None
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.add_manual_lead(actor=request.actor, **form.cleaned_data)
        except DomainError as error:
            form.add_error("phone" if error.code == ErrorCode.INVALID_PHONE else None, error.message)
        else:
            return redirect("web:employee-customer", lead_id=lead.pk)
    context = {
        "section": "customers",
        "customers": selectors.customers_of(employee.pk, tag=tag, limit=500),
        "tag": tag or "",
        "form": form,
    }
    return render(request, "web/employee/customers/list.html", context, status=422 if form.errors else 200)


def _card(request: HttpRequest, *, customer, lead=None, forms_: dict | None = None, status: int = 200):
    forms_ = forms_ or {}
    context = {
        "section": "customers",
        "customer": customer,
        "lead": lead,
        "notes": list(selectors.notes_of(lead.pk)[:100]) if lead else [],
        "follow_ups": list(selectors.follow_ups_of_lead(lead.pk)[:50]) if lead else [],
        "note_form": forms_.get("note") or NoteForm(),
        "tags_form": forms_.get("tags") or TagsForm(initial={"tags": ", ".join(customer.tags)}),
        "follow_up_form": forms_.get("follow_up")
        or FollowUpForm(initial={"due_on": timezone.localdate() + timedelta(days=1), "kind": FollowUpKind.CALL}),
        "outcome_form": OutcomeForm(auto_id=False),
    }
    return render(request, "web/employee/customers/card.html", context, status=status)


def _act(request: HttpRequest, action: str, data: dict, lead_id: int) -> None:
    if action == "note":
        services.add_note(actor=request.actor, lead_id=lead_id, body=data["body"])
        messages.success(request, _("Note added."))
    elif action == "tags":
        services.set_tags(actor=request.actor, lead_id=lead_id, tags=data["tags"])
        messages.success(request, _("Tags saved."))
    else:
        services.schedule_follow_up(actor=request.actor, lead_id=lead_id, **data)
        messages.success(request, _("Follow-up scheduled."))


def _post(request: HttpRequest, *, lead_id: int | None, member_id: int | None, render_card) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return render_card(status=400)
    form = ACTIONS[action](request.POST)
    if not form.is_valid():
        return render_card(forms_={action: form}, status=422)
    try:
        if lead_id is None:
            lead_id = services.open_customer(actor=request.actor, member_id=member_id).pk
        _act(request, action, form.cleaned_data, lead_id)
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404 from error
        form.add_error(None, error.message)
        return render_card(forms_={action: form}, status=422)
    return redirect("web:employee-customer", lead_id=lead_id)


@staff_page()
def customer_card(request: HttpRequest, lead_id: int) -> HttpResponse:
    employee = _employee(request)
    lead = selectors.own_lead(employee.pk, lead_id)
    if lead is None:
        raise Http404
    customer = selectors.lead_customer(lead)

    def render_card(**kwargs):
        return _card(request, customer=customer, lead=lead, **kwargs)

    if request.method == "POST":
        return _post(request, lead_id=lead.pk, member_id=None, render_card=render_card)
    return render_card()


@staff_page()
def member_card(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member I signed up or served, before I wrote anything about them."""
    employee = _employee(request)
    lead = selectors.leads_of(employee.pk).filter(member_id=member_id).first()
    if lead is not None:
        return redirect("web:employee-customer", lead_id=lead.pk)
    customer = selectors.member_customer(employee, member_id)
    if customer is None:
        raise Http404

    def render_card(**kwargs):
        return _card(request, customer=customer, **kwargs)

    if request.method == "POST":
        return _post(request, lead_id=None, member_id=member_id, render_card=render_card)
    return render_card()


@require_POST
@staff_page()
def follow_up_done(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return _finish(request, follow_up_id, done=True)


@require_POST
@staff_page()
def follow_up_cancel(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return _finish(request, follow_up_id, done=False)


def _finish(request: HttpRequest, follow_up_id: int, *, done: bool) -> HttpResponse:
    form = OutcomeForm(request.POST)
    text = form.cleaned_data["outcome"] if form.is_valid() else ""
    try:
        if done:
            follow_up = services.complete_follow_up(actor=request.actor, follow_up_id=follow_up_id, outcome=text)
        else:
            follow_up = services.cancel_follow_up(actor=request.actor, follow_up_id=follow_up_id, reason=text)
    except DomainError as error:
        if error.code in (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN):
            raise Http404 from error
        messages.error(request, _("This follow-up is no longer open."))
        return redirect("web:employee-follow-ups" if request.POST.get("next") == "due" else "web:employee-customers")
    messages.success(request, _("Follow-up done.") if done else _("Follow-up cancelled."))
    if request.POST.get("next") == "due":
        return redirect("web:employee-follow-ups")
    return redirect("web:employee-customer", lead_id=follow_up.lead_id)


@staff_page()
def follow_ups_due(request: HttpRequest) -> HttpResponse:
    employee = _employee(request)
    follow_ups = list(selectors.follow_ups_for(employee.pk)[:200])
    context = {
        "section": "follow-ups",
        "follow_ups": follow_ups,
        "today": timezone.localdate(),
        "outcome_form": OutcomeForm(auto_id=False),
    }
    return render(request, "web/employee/customers/follow_ups.html", context)
