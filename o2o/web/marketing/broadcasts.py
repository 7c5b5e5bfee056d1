"""Marketers' broadcast page: message templates, broadcasts with their delivery counts (skipped by
reason, queued by outbox state), forms to create both and a button to send a broadcast now.
Reads through `o2o.marketing.selectors`, writes through its services."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError
from o2o.core.ids import MAX_ID
from o2o.marketing import selectors, services
from o2o.marketing.models import MessageChannel
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page

SHOWN = 100


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=MessageChannel.choices)
    body = forms.CharField(
        label=gettext_lazy("Text ({name} becomes the member's name)"), max_length=500, widget=forms.Textarea
    )


class BroadcastForm(forms.Form):
    segment_id = forms.IntegerField(label=gettext_lazy("Segment id"), min_value=1, max_value=MAX_ID)
    template_id = forms.IntegerField(label=gettext_lazy("Message template id"), min_value=1, max_value=MAX_ID)
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID, required=False)
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Send at (empty: a draft to send by hand)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        required=False,
    )


def _save(request: HttpRequest, form: forms.Form, create) -> bool:
    if not (form.is_bound and form.is_valid()):
        return False
    try:
        create(actor=request.actor, **form.cleaned_data)
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    messages.success(request, _("Saved."))
    return True


@staff_page(Role.MARKETER, Role.HQ)
@refusals_as_http
def broadcasts(request: HttpRequest) -> HttpResponse:
    which = request.POST.get("form")
    template_form = TemplateForm(request.POST if which == "template" else None)
    broadcast_form = BroadcastForm(request.POST if which == "broadcast" else None)
    if _save(request, template_form, services.create_message_template) or _save(
        request, broadcast_form, services.create_broadcast
    ):
        return redirect("web:marketing-broadcasts")
    rows = [(b, selectors.delivery_counts(b)) for b in selectors.broadcasts(actor=request.actor)[:SHOWN]]
    context = {
        "rows": rows,
        "templates": selectors.message_templates(actor=request.actor)[:SHOWN],
        "template_form": template_form,
        "broadcast_form": broadcast_form,
    }
    return render(request, "web/marketing/broadcasts/list.html", context)


@require_POST
@staff_page(Role.MARKETER, Role.HQ)
@refusals_as_http
def send(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    try:
        services.send_broadcast(actor=request.actor, broadcast_id=broadcast_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Broadcast sent."))
    return redirect("web:marketing-broadcasts")
