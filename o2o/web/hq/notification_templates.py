"""HQ: the texts customers are told by kind, language and channel (/hq/notification-templates/,
docs/notifications.md). A save goes through o2o.notifications.services.update_template, as PUT
/api/v1/notification-templates/{id} does: a placeholder the kind does not have is a form error
(422) and the text is kept. HQ and the online operator (Operation.MANAGE_NOTIFICATION_TEMPLATES)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.notifications import services
from o2o.notifications.defaults import PLACEHOLDERS
from o2o.notifications.models import Kind
from o2o.web.auth import refusals_as_http, staff_page

T = "web/hq/notifications/templates.html"


class TemplateForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    wechat_template_id = forms.CharField(label=gettext_lazy("WeChat template id"), max_length=64, required=False)


def _render(request: HttpRequest, kind: str, *, failed: int | None = None, form=None, status: int = 200):
    rows = services.templates_for(actor=request.actor, kind=kind)
    context = {
        "kinds": Kind.choices,
        "kind": kind,
        "placeholders": ["{" + p + "}" for p in sorted(PLACEHOLDERS[kind])],
        "rows": rows,
        "failed": failed,
        "form": form,
    }
    return render(request, T, context, status=status)


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or Kind.PAID_PICKUP
    return kind if kind in Kind.values else Kind.PAID_PICKUP


@staff_page()
@refusals_as_http
def page(request: HttpRequest) -> HttpResponse:
    return _render(request, _kind(request))


@require_POST
@staff_page()
@refusals_as_http
def save(request: HttpRequest, template_id: int) -> HttpResponse:
    kind = _kind(request)
    form = TemplateForm(request.POST)
    if form.is_valid():
        try:
            services.update_template(
                actor=request.actor,
                template_id=template_id,
                body=form.cleaned_data["body"],
                wechat_template_id=form.cleaned_data["wechat_template_id"],
            )
        except DomainError as error:
            if error.code != ErrorCode.INVALID:
                raise
            form.add_error("body", _unknown_message(error))
        else:
            messages.success(request, _("The text is saved; the next messages use it."))
            return redirect(f"{reverse('web:hq-notification-templates')}?kind={kind}")
    return _render(request, kind, failed=template_id, form=form, status=422)


def _unknown_message(error: DomainError) -> str:
    if unknown := error.extra.get("unknown"):
        names = ", ".join("{" + u + "}" for u in unknown)
        return _("Unknown placeholder: %(names)s. This kind may use: %(allowed)s.") % {
            "names": names,
            "allowed": ", ".join("{" + a + "}" for a in error.extra.get("allowed", [])),
        }
    return _("This text is not a valid template: write placeholders as {name}, braces only around a name.")


urlpatterns = [
    path("notification-templates/", page, name="hq-notification-templates"),
    path("notification-templates/<int:template_id>/", save, name="hq-notification-template-save"),
]
